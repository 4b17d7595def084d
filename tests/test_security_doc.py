"""SECURITY.md names, for each claim, the tests that show it: every test it names exists."""

from __future__ import annotations

import re

from tests import support


def _test_names() -> set[str]:
    names = set()
    for path in (support.ROOT / "tests").rglob("test_*.py"):
        names |= set(re.findall(r"^\s*(?:async )?def (test_\w+)", path.read_text(encoding="utf-8"), re.M))
    return names


def test_every_test_security_md_names_exists():
    text = (support.ROOT / "SECURITY.md").read_text(encoding="utf-8")
    named = {re.sub(r"\[.*$", "", m) for m in re.findall(r"(?:::|`)(test_[\w*\[\]]+)", text)}
    assert len(named) > 40, "the document names its tests"
    existing = _test_names()
    missing = sorted(
        name for name in named
        if not (any(t.startswith(name.rstrip("*")) for t in existing) if name.endswith("*") else name in existing)
    )  # fmt: skip
    assert missing == [], f"SECURITY.md names tests that do not exist: {missing}"
