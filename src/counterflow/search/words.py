"""Portfolios in words: "maritime 0.30 on sea routes (lethal) + aid 0.50 in VE + strikes on the top hub every 8 weeks"."""

from __future__ import annotations

from typing import Any

from ..labels import lever_short, param_label, rule_label

__all__ = ["describe_lever", "describe_portfolio", "SHOWN_DECIMALS", "shown"]

#: decimals to which a portfolio's numbers are written under 100 (from 100: whole numbers); see :func:`shown`
SHOWN_DECIMALS = 2


def shown(x: float) -> float:
    """A number as a portfolio's description writes it: :data:`SHOWN_DECIMALS` decimals under 100,
    a whole number from 100 (``0.456`` -> 0.46, ``1234.5`` -> 1234.0). The front merges portfolios
    whose numbers are equal at it, so two rows never read the same."""
    return float(f"{x:.{SHOWN_DECIMALS if abs(x) < 100 else 0}f}") + 0.0  # -0.0 is 0.0


def _num(x: Any) -> str:
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:.{SHOWN_DECIMALS}f}".rstrip("0").rstrip(".") if abs(x) < 100 else f"{x:,.0f}"
    return str(x)


#: what a lever's targets field names, by the lever class's ``targets_key`` (a strike's nodes may say their kind)
_TARGET_NOUNS = {"targets": "site", "zone": "route", "jurisdiction": "jurisdiction", "organisations": "organisation"}


def _targets(t: Any, tk: str = "targets") -> str:
    if t is None:
        return ""
    if isinstance(t, str):
        return f" in {t}"
    if isinstance(t, list):
        return " in " + ", ".join(map(str, t))
    if not isinstance(t, dict):
        return ""
    if t.get("rule"):
        k = t.get("k", 1)
        what = t.get("kind") or _TARGET_NOUNS.get(tk, "site")
        if t.get("mode"):  # the zone a rule chooses in: "sea routes"
            what = f"{t['mode']} {what}"
        plural = "s" if k != 1 else ""
        where = " in " + ", ".join(map(str, t["jurisdictions"])) if t.get("jurisdictions") else ""
        return f" on the {rule_label(t['rule'])} {k} {what}{plural}{where}"
    parts = []
    if t.get("mode"):
        parts.append(f"{t['mode']} routes")
    for key in ("nodes", "jurisdictions", "organisations"):
        if t.get(key):
            parts.append(", ".join(map(str, t[key])))
    if t.get("edges"):
        parts.append(f"{len(t['edges'])} routes")
    return (" on " + " in ".join(parts)) if parts else ""


def _schedule(s: Any) -> str:
    if not isinstance(s, dict):
        return ""
    if "at" in s:
        at = s["at"] if isinstance(s["at"], list) else [s["at"]]
        return " at week " + ", ".join(map(str, at))
    every = s.get("every", 1)
    text = f" every {every} weeks" if every != 1 else " every week"
    text += f" from week {s.get('start')}"
    if s.get("until") is not None:
        text += f" to {s['until']}"
    return text


def describe_lever(lever: dict) -> str:
    """One lever in words."""
    from ..levers import LEVERS

    typ = lever["type"]
    cls = LEVERS.get(typ)
    name = lever_short(typ)
    key = cls.intensity if cls else None
    text = name
    if key and key in lever:
        text += f" {_num(lever[key])}" if key == "intensity" else f" ({param_label(key)} {_num(lever[key])})"
    tk = cls.targets_key if cls else None
    text += _targets(lever.get(tk), tk) if tk else ""
    extras = [f"{param_label(k)} {_num(v)}" for k, v in lever.items()
              if k not in ("type", "schedule", "unit_cost", key, tk) and not isinstance(v, dict | list)]
    if lever.get("lethal") is True:
        extras = [e for e in extras if not e.startswith(param_label("lethal"))] + ["lethal"]
    elif "lethal" in lever:
        extras = [e for e in extras if not e.startswith(param_label("lethal"))]
    if extras:
        text += " (" + ", ".join(extras) + ")"
    return text + _schedule(lever.get("schedule"))


def describe_portfolio(levers: list[dict]) -> str:
    """A portfolio in words ("no action" when empty).

    >>> describe_portfolio([{"type": "humanitarian_aid", "intensity": 0.5, "jurisdiction": "VE",
    ...                      "schedule": {"start": 4}}])
    'aid 0.5 in VE every week from week 4'
    """
    if not levers:
        return "no action"
    return " + ".join(describe_lever(lv) for lv in levers)
