"""More of the eleventh outside round (A, 2026-12-05), kinds 1 to 4; the first part is
test_hostile_eleventh_a.py. Each failed on the code before its fix. See docs/reliability.md,
"The outside attacker's variants"."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from . import test_hostile_limits
from .conftest import kehu

no_traceback = test_hostile_limits.no_traceback

COMPOSED, DECOMPOSED = "Jos\u00e9", "Jose\u0301"  # one name, typed two ways (a macOS file name's is the second)


def test_a_rep_or_a_tag_typed_with_its_accent_two_ways_is_one(tmp_path: Path) -> None:
    """`customer add --owner José` typed composed on one machine and decomposed (pasted from a
    macOS file name) on another: two reps — `customer list --owner José` found half of their
    customers, `kehu report reps` had two José columns, `kehu handover` moved half, a visit plan
    went to a second folder — and `café` two tags. Every door stores the composed form and every
    filter reads its argument so (`kehu_core.keytext`)."""
    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    for name, owner, tag in (("甲", DECOMPOSED, "cafe\u0301"), ("乙", COMPOSED, "caf\u00e9")):
        added = kehu("customer", "add", "--name", name, "--owner", owner, "--tag", tag, store=path)
        assert added.code == 0, added.err
    for typed in (COMPOSED, DECOMPOSED):
        listed = kehu("customer", "list", "--owner", typed, "--json", store=path)
        assert len(listed.json()) == 2, (typed, listed.out)
        tagged = kehu("customer", "list", "--tag", unicodedata.normalize("NFD", "café"), "--json", store=path)
        assert len(tagged.json()) == 2, tagged.out
    planned = kehu("--today", "2026-11-20", "visits", "plan", "--owner", DECOMPOSED, store=path)
    assert planned.code == 0, planned.err
    plan_added = kehu("--today", "2026-11-20", "visits", "plan", "--owner", DECOMPOSED, "--add",
                      kehu("customer", "list", "--json", store=path).json()[0]["id"], store=path)
    assert plan_added.code == 0, plan_added.err
    assert [p.name for p in (path / "visits").iterdir()] == [COMPOSED]
    handed = kehu("handover", DECOMPOSED, "王芳", "--no-commit", store=path)
    assert handed.code == 0 and "2 customers" in handed.out + handed.err, handed.out + handed.err
