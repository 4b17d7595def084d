"""The unit tree: each unit's ancestors, the units below a root that report (and what they owe
each month), the members a view compares, and the share of a commune's count target a unit carries.

Targets are set for a commune. Ratio targets apply to every unit as they are. A count target is
a commune total: a hamlet's share is in proportion to its households when all its sibling
hamlets have them (otherwise an equal share); a city's target adds up its communes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from indicators.domain import catalog
from indicators.domain.text import fold
from indicators.domain.units import OrgUnit, UnitMatcher, unit_label
from indicators.storage import Store


def ancestry(codes: np.ndarray, parents: np.ndarray) -> pd.DataFrame:
    """(unit_code, rollup_code) for every unit and each of its ancestors, itself included.

    `codes` are the units (each once), `parents` the code of each one's parent (None at the top)."""
    codes, parents = np.asarray(codes, dtype=object), np.asarray(parents, dtype=object)
    # a parent that is not a unit itself still counts as an ancestor (after the units, with none above)
    known = pd.Index(codes)
    named = pd.notna(parents)
    missing = pd.unique(parents[named & (known.get_indexer(parents) < 0)])
    everyone = np.concatenate([codes, missing]) if len(missing) else codes
    # as positions, -1 above the top: a country's 83.000 units climb in numpy, not in dict lookups
    above = np.full(len(everyone), -1, dtype=np.int64)
    above[: len(codes)] = np.where(named, pd.Index(everyone).get_indexer(parents), -1)
    frames, unit, node = [], np.arange(len(codes)), np.arange(len(codes))
    for _ in range(50):  # a level at a time, for every unit at once (a loop in the tree ends here)
        frames.append(pd.DataFrame({"unit_code": everyone[unit], "rollup_code": everyone[node]}))
        node = above[node]
        keep = node >= 0
        if not keep.any():
            break
        unit, node = unit[keep], node[keep]
    links = pd.concat(frames, ignore_index=True)
    # only a loop in the tree (a unit its own ancestor) repeats a pair: count each ancestor once
    return links.drop_duplicates(ignore_index=True) if len(frames) > 10 else links


@dataclass(frozen=True)
class Tree:
    """The org units and what is derived from them once per change of the units.

    Built from the units' columns (`Store.unit_columns`): completeness needs no object per unit.
    The units as objects are read when first asked for."""

    columns: dict[str, np.ndarray]  # code, name, parent, level, active; in code order
    read_units: Callable[[], list[OrgUnit]]

    @functools.cached_property
    def units(self) -> list[OrgUnit]:
        return self.read_units()

    @functools.cached_property
    def by_code(self) -> dict[str, OrgUnit]:
        return {u.code: u for u in self.units}

    @functools.cached_property
    def ancestry(self) -> pd.DataFrame:
        """`metrics.ancestry` of the units."""
        return ancestry(self.columns["code"], self.columns["parent"])

    def scale(self, code: str) -> float:
        """How much of a commune's count target the unit `code` carries (see the module docstring).
        Worked out when asked, for the units a page compares with targets: not a country's 83.000."""
        unit = self.by_code.get(code)
        if unit is None:
            return 1.0
        if unit.level == "hamlet":
            siblings = self._active_hamlets.get(unit.parent) or [unit]
            total = sum(u.households or 0 for u in siblings)
            if unit.households and total and all(u.households for u in siblings):
                return unit.households / total
            return 1 / len(siblings)
        if unit.level == "city":
            below = self.ancestry.loc[self.ancestry["rollup_code"] == code, "unit_code"]
            return (
                float(sum(1 for c in below if self.by_code[c].active and self.by_code[c].level == "commune"))
                or 1.0
            )
        return 1.0

    @functools.cached_property
    def _active_hamlets(self) -> dict[str | None, list[OrgUnit]]:
        """Active hamlets by parent."""
        found: dict[str | None, list[OrgUnit]] = {}
        for u in self.units:
            if u.active and u.level == "hamlet":
                found.setdefault(u.parent, []).append(u)
        return found

    @functools.cached_property
    def matcher(self) -> UnitMatcher:
        """Finds units by what people type (kept: building it for 80.000 units takes a while)."""
        return UnitMatcher(self.units)

    def subtree(self, root: str) -> set[str]:
        """`root` and every unit below it."""
        return set(self._below(root))

    def _below(self, root: str) -> np.ndarray:
        return self.ancestry["unit_code"].to_numpy()[self.ancestry["rollup_code"].to_numpy() == root]

    def _reporting_at(self, root: str) -> np.ndarray:
        """Positions in `columns` of the active hamlets and communes in `root`'s subtree."""
        code, level = self.columns["code"], self.columns["level"]
        # pandas hashes: numpy's isin compares text arrays element by element (0,2 s for a city)
        return np.flatnonzero(pd.Index(code).isin(self._below(root)) & self.columns["active"].astype(bool)
                              & ((level == "hamlet") | (level == "commune")))  # fmt: skip

    def reporting(self, root: str) -> list[OrgUnit]:
        """Active units in `root`'s subtree that submit figures (hamlets and communes)."""
        return [self.by_code[code] for code in self.columns["code"][self._reporting_at(root)]]

    @functools.cached_property
    def _owed_kept(self) -> dict[str, Owed]:
        return {}

    def owed(self, root: str) -> Owed:
        """What the reporting units below `root` owe each month (kept per root: a city's 2.850
        units are labelled and sorted once, not on every completeness call)."""
        found = self._owed_kept.get(root)
        if found is None:
            found = self._owed_kept[root] = _owed(self, root)
        return found


@dataclass(frozen=True)
class Owed:
    """Active hamlets and communes below a root (hamlets first, then by name), as lists and as an
    Arrow table for the store (`units`: unit_code, level). Each owes every month the indicators of
    its level (`OWED_CODES`). Shared: callers do not change it."""

    codes: list[str]
    labels: list[str]
    levels: list[str]
    units: pa.Table


# The indicators a unit of each level reports every month (level, indicator_code)
_OWED = [(level, item.code) for level in ("hamlet", "commune") for item in catalog.indicators_at_level(level)]
OWED_CODES = pa.table({"level": [level for level, _ in _OWED], "indicator_code": [code for _, code in _OWED]})


def _owed(units: Tree, root: str) -> Owed:
    at = units._reporting_at(root)
    codes, names, levels = (units.columns[c][at] for c in ("code", "name", "level"))
    folded = {name: fold(name) for name in set(names)}  # hamlet names repeat from commune to commune
    # hamlets first, then by name; stable, so units of one name keep their code order
    order = np.lexsort((np.array([folded[n] for n in names], dtype=str), levels != "hamlet"))
    codes, names, levels = codes[order].tolist(), names[order].tolist(), levels[order].tolist()
    return Owed(codes, [unit_label(n, lv) for n, lv in zip(names, levels)], levels,
                pa.table({"unit_code": codes, "level": levels}))  # fmt: skip


_TREES: dict[tuple, Tree] = {}


def tree(store: Store) -> Tree:
    """The store's units as a `Tree`, rebuilt only when the units change."""
    version = store.units_version()
    key = (store.path, id(store), version)
    found = _TREES.get(key)
    if found is None:
        found = Tree(store.unit_columns(version), store.units)
        _TREES.clear()
        _TREES[key] = found
    return found


def children(store: Store, root: str, level: str | None = None, active_only: bool = True) -> list[OrgUnit]:
    """Units directly below `root` (optionally of one level), ordered by name."""
    found = [
        unit
        for unit in tree(store).units
        if unit.parent == root and (level is None or unit.level == level)
        and (unit.active or not active_only)
    ]  # fmt: skip
    return sorted(found, key=lambda unit: fold(unit.name))


def reporting_units(store: Store, root: str) -> list[OrgUnit]:
    """Active units in `root`'s subtree that submit figures (hamlets and communes)."""
    return tree(store).reporting(root)


def member_level(store: Store, root: str) -> str:
    """The level a view of `root` compares: the communes of a city, the hamlets of a commune."""
    unit = tree(store).by_code.get(root)
    return "commune" if unit is not None and unit.level == "city" else "hamlet"


def member_units(store: Store, root: str) -> list[OrgUnit]:
    level = member_level(store, root)
    return [u for u in reporting_units(store, root) if u.level == level]
