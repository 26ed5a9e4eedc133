"""Country outlines for maps, shipped with the package (no download, no tile server).

The outlines are Natural Earth's 1:110m Admin-0 countries (public domain),
taken from the copy shipped in the geopandas 0.14.4 wheel
(``geopandas/datasets/naturalearth_lowres``), kept where they meet the
Americas-Atlantic-Europe window, rounded to 0.1 degree and stored as
``counterflow/data/outlines.geojson``. They are context for stylised maps,
not a statement about borders.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import numpy as np

__all__ = ["load_outlines", "outline_rings", "OUTLINES_FILE"]

OUTLINES_FILE = "outlines.geojson"


@lru_cache(maxsize=1)
def _raw() -> str:
    return resources.files("counterflow.data").joinpath(OUTLINES_FILE).read_text(encoding="utf-8")


def load_outlines() -> dict:
    """The country outlines as a GeoJSON ``FeatureCollection`` (a fresh dict on every call).

    Each feature has ``properties`` ``name``, ``iso_a3`` and ``continent`` and a
    ``MultiPolygon`` geometry in lon/lat degrees; the collection carries
    ``bbox`` and ``provenance``.

    Examples
    --------
    >>> fc = load_outlines()
    >>> fc["type"], len(fc["features"]) > 50
    ('FeatureCollection', True)
    """
    return json.loads(_raw())


def outline_rings(bbox: tuple[float, float, float, float] | None = None) -> list[np.ndarray]:
    """Outline rings as ``[k, 2]`` lon/lat arrays, only those meeting ``bbox`` (lon0, lat0, lon1, lat1).

    Examples
    --------
    >>> rings = outline_rings((-90, 0, -60, 20))
    >>> all(r.shape[1] == 2 for r in rings) and len(rings) > 5
    True
    """
    out = []
    for feat in load_outlines()["features"]:
        for poly in feat["geometry"]["coordinates"]:
            for ring in poly:
                a = np.asarray(ring, dtype=float)
                if bbox is not None:
                    lon0, lat0, lon1, lat1 = bbox
                    if (a[:, 0].max() < lon0 or a[:, 0].min() > lon1 or a[:, 1].max() < lat0
                            or a[:, 1].min() > lat1):
                        continue
                out.append(a)
    return out
