"""The shipped country outlines."""

from __future__ import annotations

import numpy as np

from counterflow.geo import load_outlines, outline_rings


def test_outlines_are_valid_geojson_in_the_window():
    """A FeatureCollection of named MultiPolygons with closed rings in lon/lat, with provenance, of modest size."""
    fc = load_outlines()
    assert fc["type"] == "FeatureCollection" and "Natural Earth" in fc["provenance"]
    lon0, lat0, lon1, lat1 = fc["bbox"]
    names = {f["properties"]["name"] for f in fc["features"]}
    assert {"Colombia", "Venezuela", "Mexico", "United States of America", "Spain"} <= names
    for f in fc["features"]:
        assert f["geometry"]["type"] == "MultiPolygon"
        for poly in f["geometry"]["coordinates"]:
            for ring in poly:
                a = np.asarray(ring)
                assert len(a) >= 4 and (a[0] == a[-1]).all()
                assert (np.abs(a[:, 0]) <= 180).all() and (np.abs(a[:, 1]) <= 90).all()
                assert a[:, 0].max() >= lon0 and a[:, 0].min() <= lon1
                assert a[:, 1].max() >= lat0 and a[:, 1].min() <= lat1


def test_rings_filter_by_bbox():
    """outline_rings(bbox) keeps exactly the rings meeting the box."""
    box = (-75.0, 5.0, -60.0, 15.0)
    every = outline_rings()
    inside = outline_rings(box)
    brute = [r for r in every if not (r[:, 0].max() < box[0] or r[:, 0].min() > box[2]
                                      or r[:, 1].max() < box[1] or r[:, 1].min() > box[3])]
    assert len(inside) == len(brute) > 0
    assert load_outlines() is not load_outlines()  # callers get their own copy
