"""The eighteenth outside round (eighteenthd, 2026-12-06): what the user waits for after a
change. Speed itself is measured in bench/ (docs/benchmarks.md), never here: these tests say
that the faster way gives the same answer, and that it does less (rows written), which failed
on the code before each fix. See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from kehu_core.demo import generate

from .conftest import kehu

TIERS_TABLE = '"plugin:tiering:tiers"'


def _fresh_tiers(store: Path, scratch: Path) -> dict:
    """`kehu tier --json` of a copy of the store with no index: the whole store ranked afresh."""
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(store, scratch, ignore=shutil.ignore_patterns(".kehu"))
    fresh = kehu("tier", "--json", store=scratch)
    assert fresh.code == 0, fresh.err
    return fresh.json()


def _tiers(store: Path) -> dict:
    shown = kehu("tier", "--json", store=store)
    assert shown.code == 0, shown.err
    return shown.json()


def _count_tier_rows_written(store: Path) -> None:
    """A trigger in the index counting the rows written into the tiers' kept table."""
    with sqlite3.connect(store / ".kehu" / "index.sqlite") as db:
        db.execute("CREATE TABLE IF NOT EXISTS test_tier_rows(customer_id TEXT)")
        db.execute(f"CREATE TRIGGER IF NOT EXISTS test_tier_rows_written AFTER INSERT ON {TIERS_TABLE}"
                   " BEGIN INSERT INTO test_tier_rows VALUES(NEW.customer_id); END")
    db.close()


def _tier_rows_written(store: Path) -> int:
    """The rows written since the last call (and the count started again)."""
    with sqlite3.connect(store / ".kehu" / "index.sqlite") as db:
        written = db.execute("SELECT count(*) FROM test_tier_rows").fetchone()[0]
        db.execute("DELETE FROM test_tier_rows")
    db.close()
    return written


def test_the_first_tier_after_a_change_ranks_again_only_what_the_change_moved(tmp_path: Path) -> None:
    """The first `kehu tier` (a list by tier, the dashboard) after any change of the records
    ranked the whole store again and wrote every customer's row of the kept ranking (80 ms at
    10 000 customers, ~1 s at 100 000): after a note or a profile edit too, which moves nobody's
    purchases, and after a sale, which moves a few rows. Now a change that moved no purchase in
    the window writes no row (the kept ranking is still exact: only its stamp moves), a sale
    writes the rows it changed, and each answer is the one a ranking from scratch gives
    (`tiering.tiers.compute`: `_moved_since`, `_ranked_again`)."""
    store, scratch = tmp_path / "shop", tmp_path / "fresh"
    generate(store, 40, seed=11)
    first = _tiers(store)
    assert first == _fresh_tiers(store, scratch)
    people = sum(t["customers"] for t in first["distribution"])
    _count_tier_rows_written(store)
    small = first["tiers"][first["distribution"][-1]["tier"]][-1]["id"]  # the last of the last tier

    # a profile edit and a note: nobody's purchases moved, no row written, the same answer
    assert kehu("customer", "set", small, "nickname=小李", store=store).code == 0
    assert kehu("interaction", "add", small, "--kind", "call", "--text", "called back", store=store).code == 0
    assert _tiers(store) == first
    assert _tier_rows_written(store) == 0  # every row (40) before

    # a purchase older than the window moves nobody either
    old = kehu("purchase", "add", small, "--amount", "99999", "--date", "2020-01-01", "--paid", store=store)
    assert old.code == 0, old.err
    assert _tiers(store) == _fresh_tiers(store, scratch)
    assert _tier_rows_written(store) == 0

    # a sale that takes the smallest customer up a tier or more: the rows it moved, not all
    sale = kehu("purchase", "add", small, "--amount", "99999", "--paid", store=store)
    assert sale.code == 0, sale.err
    after = _tiers(store)
    assert after == _fresh_tiers(store, scratch)
    assert small not in [p["id"] for p in after["tiers"][after["distribution"][-1]["tier"]]]
    assert 1 <= _tier_rows_written(store) < people

    # its void, a second buyer, and a customer added and one removed: still a ranking's answer
    sale_id = sale.out.strip().splitlines()[-1]
    assert kehu("purchase", "void", small, sale_id, "--reason", "typed twice", store=store).code == 0
    assert _tiers(store) == _fresh_tiers(store, scratch)
    other = first["tiers"][first["distribution"][1]["tier"]][0]["id"]
    assert kehu("purchase", "add", other, "--amount", "12.5", "--paid", store=store).code == 0
    assert _tiers(store) == _fresh_tiers(store, scratch)
    assert kehu("customer", "add", "--name", "新客", store=store).code == 0
    assert _tiers(store) == _fresh_tiers(store, scratch)
    merged = kehu("customer", "merge", other, small, store=store)  # small is gone
    assert merged.code == 0, merged.err
    assert _tiers(store) == _fresh_tiers(store, scratch)

