"""Errors raised for bad user input.

Every problem with a file a user wrote is reported as one
:class:`InputError` that names the file, the field path and, where known,
the line. Fronts (CLI, web) print ``str(error)`` and exit with status 2.
"""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """A problem in user input, located as precisely as possible.

    Parameters
    ----------
    message
        What is wrong, in plain words.
    file
        The file the input came from, if any.
    path
        Dotted field path inside the file, e.g. ``nodes[3].capacity``.
    line
        1-based line number in the file, if known.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        path: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.path = path
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        prefix = ", ".join(where)
        field = f"field '{self.path}': " if self.path else ""
        return f"{prefix}: {field}{self.message}" if prefix else f"{field}{self.message}"

    def to_dict(self) -> dict:
        """JSON-friendly form, used by the web API."""
        return {"message": self.message, "file": self.file, "field": self.path, "line": self.line}


def raise_if_interrupted(exc: BaseException) -> None:
    """Raise :class:`KeyboardInterrupt` if ``exc`` stands for a Ctrl-C: a handler that records a failed run calls
    this first, so an interrupt is never stored as a failure.

    SIGINT arriving while a compiled kernel runs surfaces as another exception (``SystemError: CPUDispatcher(...)
    returned a result with an exception set``) whose cause or context is the :class:`KeyboardInterrupt`.
    """
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            raise KeyboardInterrupt from exc
        seen.add(id(e))
        e = e.__cause__ or e.__context__
