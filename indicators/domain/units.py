"""Org units (city → commune → hamlet) and forgiving matching of the names people type."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from indicators.domain.text import fold, nfc

UnitLevel = Literal["city", "commune", "hamlet"]

# Prefixes that may or may not stand before a unit's name in a file
_PREFIX = re.compile(
    r"^(thon|to dan pho|tdp|khu pho|ap|ban|xom|xa|phuong|dac khu|thanh pho|tp|tinh)\s+"
)

# the columns the store keeps of a unit, in `OrgUnit.trusted` order
STORED_FIELDS = ("code", "name", "parent", "level", "households", "population", "active")


class OrgUnit(BaseModel):
    model_config = ConfigDict(frozen=True)

    # starts with a letter or digit: a leading "-" or "+" would read as a formula in Excel
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    name: str = Field(min_length=1, max_length=120)
    parent: str | None = None
    level: UnitLevel = "hamlet"
    households: int | None = Field(default=None, ge=0)
    population: int | None = Field(default=None, ge=0)
    active: bool = True

    @field_validator("name")
    @classmethod
    def _clean(cls, value: str) -> str:
        return nfc(value)

    @classmethod
    def trusted(cls, rows: Iterable[tuple]) -> list[OrgUnit]:
        """Units read back from the store, already validated on their way in, built without checks
        from rows of (code, name, parent, level, households, population, active): a country's
        83.000 units are read in 0,3 s instead of 1,5 s. They share one (never changed) fields set."""
        new, put, fields = object.__new__, object.__setattr__, STORED_FIELDS
        fields_set = set(fields)
        out = []
        for row in rows:
            unit = new(cls)
            put(unit, "__dict__", dict(zip(fields, row)))
            put(unit, "__pydantic_fields_set__", fields_set)
            put(unit, "__pydantic_extra__", None)
            put(unit, "__pydantic_private__", None)
            out.append(unit)
        return out

    @property
    def label(self) -> str:
        """How the unit is shown: "Thôn Cậy", "Xã Bình Giang"."""
        return unit_label(self.name, self.level)


_LEVEL_PREFIX = {"hamlet": "Thôn", "commune": "Xã", "city": "Thành phố"}


@lru_cache(maxsize=65536)  # hamlet names repeat from commune to commune
def unit_label(name: str, level: str) -> str:
    """How a unit of that name and level is shown (`OrgUnit.label`)."""
    if _PREFIX.match(fold(name)):  # "Phường Hồng Bàng", "Tổ dân phố 3" keep their own
        return name
    return f"{_LEVEL_PREFIX[level]} {name}"


def bare(text: str) -> str:
    """Folded name without a leading "Thôn"/"Xã"/… prefix."""
    return _PREFIX.sub("", fold(text))


def close(typed: str, name: str) -> bool:
    """Whether `name` may be what `typed` meant (folded, without prefix): one holds the other, the
    words typed are all in it, or at most a quarter of the letters differ ("Ba Thuyy", "BG010")."""
    if not typed or not name:
        return False
    shorter = min(typed, name, key=len)
    if len(shorter) >= 3 and shorter in (name if shorter is typed else typed):
        return True
    words = typed.split()
    if len(words) >= 2 and set(words) <= set(name.split()):
        return True
    matched = sum(block.size for block in difflib.SequenceMatcher(None, typed, name).get_matching_blocks())
    return max(len(typed), len(name)) - matched <= max(1, max(len(typed), len(name)) // 4)


def nearest(text: str, candidates: dict[str, Iterable[str]], limit: int = 3) -> list[str]:
    """Keys of `candidates` with a name close to `text` (`close`), closest first, for "did you
    mean": an unrelated name is never offered."""
    target = bare(text)
    scored: dict[str, float] = {}
    for key, names in candidates.items():
        for name in names:
            folded = bare(name)
            if close(target, folded):
                score = difflib.SequenceMatcher(None, target, folded).ratio()
                scored[key] = max(scored.get(key, 0.0), score)
    return sorted(scored, key=lambda key: -scored[key])[:limit]


class UnitMatcher:
    """Finds a unit by code or name, any case, with or without diacritics or prefix."""

    def __init__(self, units: Iterable[OrgUnit]):
        self.units = {unit.code: unit for unit in units}
        self._found: dict[str, list[str]] = {}
        self._keys: dict[str, set[str]] = {}
        for unit in self.units.values():
            for key in {fold(unit.code), fold(unit.name), bare(unit.name), fold(unit.label)}:
                self._keys.setdefault(key, set()).add(unit.code)

    def candidates(self, text: str) -> list[str]:
        """Every unit code `text` may mean (more than one means the name is ambiguous)."""
        found = self._found.get(text)
        if found is None:  # a file names the same units on thousands of rows
            found = self._found[text] = self._candidates(text)
        return found

    def _candidates(self, text: str) -> list[str]:
        key = fold(text)
        found = self._keys.get(key) or self._keys.get(bare(text)) or set()
        # an exact code wins over a name that happens to look like it
        exact = [code for code in found if fold(code) == key]
        return exact or sorted(found)

    def suggestions(self, text: str, limit: int = 3) -> list[str]:
        return nearest(text, {code: [unit.name, unit.code] for code, unit in self.units.items()}, limit)


def descendants(units: Iterable[OrgUnit], root: str) -> list[str]:
    """Codes of `root` and every unit below it."""
    children: dict[str | None, list[str]] = {}
    for unit in units:
        children.setdefault(unit.parent, []).append(unit.code)
    out, stack = [], [root]
    while stack:
        code = stack.pop()
        out.append(code)
        stack.extend(children.get(code, []))
    return out


_BELOW: dict[str, UnitLevel] = {"city": "commune", "commune": "hamlet", "hamlet": "hamlet"}


def infer_levels(parents: dict[str, str | None], known: dict[str, UnitLevel] | None = None) -> dict[str, UnitLevel]:
    """Level of every unit: a known level stays; a unit under a known parent is one level below it.

    Otherwise by position: units with grandchildren are cities, with children communes, else
    hamlets; a top unit without children is a commune whose hamlets are not loaded yet.
    """
    known = known or {}
    children: dict[str, list[str]] = {}
    for code, parent in parents.items():
        if parent:
            children.setdefault(parent, []).append(code)

    def by_position(code: str) -> UnitLevel:
        kids = children.get(code, [])
        if any(children.get(kid) for kid in kids):
            return "city"
        if kids or not parents.get(code):
            return "commune"
        return "hamlet"

    levels: dict[str, UnitLevel] = {}

    def level_of(code: str, depth: int = 0) -> UnitLevel:
        if code in levels:
            return levels[code]
        if code in known:
            level = known[code]
        else:
            parent = parents.get(code)
            if parent and depth < 50 and (parent in known or parent in parents):
                parent_level = level_of(parent, depth + 1)
                level = _BELOW[parent_level] if parent in known or parent_level == "city" else by_position(code)
            else:
                level = by_position(code)
        levels[code] = level
        return level

    for code in parents:
        level_of(code)
    return levels
