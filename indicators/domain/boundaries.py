"""Commune boundaries for the maps: GeoJSON files keyed by official code.

`indicators/data/boundaries/<provinceCode>.geojson` holds one FeatureCollection per province or
city; each feature's `id` (else `properties.code`) is a unit's official code. Adding a province's
map is dropping its file there (see the folder's README); the files are read once per process.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from indicators.domain.admin_units import BOUNDARIES_DIR

NOTICE = "Ranh giới mang tính tham khảo"  # said wherever a boundary is shown (not a legal boundary)


@dataclass(frozen=True)
class Boundaries:
    """Every boundary found, by unit code."""

    features: dict[str, dict]  # code -> GeoJSON Feature whose `id` is the code

    def has(self, code: str) -> bool:
        return code in self.features

    def collection(self, codes: Iterable[str]) -> dict:
        """A FeatureCollection of the given units that have a boundary, in the order given."""
        return {"type": "FeatureCollection", "features": [self.features[c] for c in codes if c in self.features]}


def bbox(geometry: dict) -> list[float]:
    """[west, south, east, north] of a (Multi)Polygon."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    xs = [p[0] for polygon in polygons for ring in polygon for p in ring] or [0.0]
    ys = [p[1] for polygon in polygons for ring in polygon for p in ring] or [0.0]
    return [min(xs), min(ys), max(xs), max(ys)]


def read_boundaries(folder: Path) -> Boundaries:
    """The features of every `*.geojson` file in `folder` (none when it does not exist).

    A feature without a code, a geometry other than (Multi)Polygon, or a code found twice is
    refused with a message naming the file: a map must never show a unit in the wrong place.
    """
    features: dict[str, dict] = {}
    where: dict[str, str] = {}
    for path in sorted(folder.glob("*.geojson")) if folder.is_dir() else []:
        data = json.loads(path.read_text(encoding="utf-8"))
        for i, feature in enumerate(data.get("features", [])):
            code = feature.get("id") or (feature.get("properties") or {}).get("code")
            if not code:
                raise ValueError(f"Tệp ranh giới {path.name}: đối tượng thứ {i + 1} không có mã đơn vị (id).")
            code = str(code)
            kind = (feature.get("geometry") or {}).get("type")
            if kind not in ("Polygon", "MultiPolygon"):
                raise ValueError(f"Tệp ranh giới {path.name}: đơn vị {code} không phải vùng (Polygon) mà là {kind}.")
            if code in features:
                raise ValueError(f"Mã đơn vị {code} có ranh giới ở cả {where[code]} và {path.name}.")
            # GeoJSON's own `bbox` member, computed once here: maps fit their view from it
            features[code] = {"type": "Feature", "id": code, "properties": feature.get("properties") or {},
                              "bbox": bbox(feature["geometry"]), "geometry": feature["geometry"]}  # fmt: skip
            where[code] = path.name
    return Boundaries(features)


@lru_cache(maxsize=4)
def boundaries(folder: Path = BOUNDARIES_DIR) -> Boundaries:
    """`read_boundaries` of the product's folder, read once per process."""
    return read_boundaries(folder)
