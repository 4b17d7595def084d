"""The boundaries folder (indicators/data/boundaries/<province>.geojson) against the official unit
list: every unit of a province with a file has a feature there, and every feature is a unit."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from indicators.domain import admin_units

FILES = sorted(admin_units.BOUNDARIES_DIR.glob("*.geojson"))


def test_hai_phong_has_its_boundaries():
    assert admin_units.boundary_file("31") in FILES


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_features_and_the_unit_list_match_one_to_one(path):
    province = path.stem
    assert province in {p["code"] for p in admin_units.provinces()}, f"{path.name}: no province has this code"
    collection = json.loads(path.read_text(encoding="utf-8"))
    features = collection["features"]
    ids = [str(f["id"]) for f in features]
    assert [id for id, n in Counter(ids).items() if n > 1] == []
    units = {row["code"]: row for row in admin_units.communes_of(province)}
    assert sorted(set(units) - set(ids)) == [], "units of the list without a feature"
    assert sorted(set(ids) - set(units)) == [], "features that are no unit of the province"
    for feature in features:
        assert feature["properties"]["code"] == feature["id"]
        assert feature["properties"]["name"] == units[feature["id"]]["name"]
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_the_official_list_and_its_previous_codes():
    """Decision 19/2025/QĐ-TTg's codes, and the codes the same units had in the list shipped before."""
    provinces, communes = admin_units.provinces(), admin_units.communes()
    assert len(provinces) == 34 and len(communes) == 3321
    assert len({r["code"] for r in communes}) == 3321
    assert {r["provinceCode"] for r in communes} == {p["code"] for p in provinces}
    hai_phong = admin_units.communes_of("31")
    assert len(hai_phong) == 114 and all(r["previousListCode"] for r in hai_phong)
    previous = admin_units.official_code_of_previous()
    assert previous["05"] == "31" and previous["01310"] == "10966"
    assert len(previous) == 34 + sum(1 for r in communes if r["previousListCode"])  # no old code twice
