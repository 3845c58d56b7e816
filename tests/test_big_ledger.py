"""A long-lived customer's ledger grows past 2 MiB (a line with every purchase, redemption and
tier move: 2 MiB is some 23 000 entries). It was refused as a record over 2 MiB: the points
plugin failed on every purchase saved (reported, the purchase kept) and ``check`` named the
ledger. A ledger's own limit (``yamlio.MAX_LEDGER_BYTES``) fits years of entries; a file past
it is still refused unread (issue 16, kinds 8 and 9)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kehu_core.ids import shard
from kehu_core.yamlio import MAX_FILE_BYTES, MAX_LEDGER_BYTES, dump_flow_line

from .conftest import kehu


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, str, Path]:
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "老主顾", store=path).out.strip()
    return path, cid, path / "customers" / shard(cid) / cid / "points.ledger.yaml"


def _entries(count: int) -> str:
    """Ledger lines as the points plugin writes them (an adjustment each: a purchase's would
    name its interaction file)."""
    day = dt.date(2006, 1, 1)
    return "".join("- " + dump_flow_line({
        "id": f"e{n:09d}", "date": day + dt.timedelta(days=n // 4), "reason": "adjust",
        "delta": 12, "note": "老账本迁移：龙井茶礼盒 x1"}) + "\n" for n in range(count))


def test_a_ledger_past_2_mib_keeps_working(store: tuple[Path, str, Path]) -> None:
    path, cid, ledger = store
    count = MAX_FILE_BYTES // 90  # past 2 MiB
    ledger.write_text(_entries(count), encoding="utf-8")
    assert ledger.stat().st_size > MAX_FILE_BYTES
    added = kehu("purchase", "add", cid, "--item", "茶", "--price", "100", "--date", "2026-11-01", store=path)
    assert added.code == 0, added.err
    assert "points" not in added.err, added.err  # the plugin did not fail
    assert ledger.read_text(encoding="utf-8").count("\n") == count + 1  # its entry appended
    shown = kehu("points", cid, store=path)
    assert shown.code == 0, shown.err
    checked = kehu("check", store=path)
    assert checked.code == 0, checked.out + checked.err


def test_a_ledger_past_its_own_limit_is_still_refused_unread(store: tuple[Path, str, Path]) -> None:
    path, cid, ledger = store
    with ledger.open("w", encoding="utf-8") as out:
        out.write(_entries(10))
        out.write("# " + "x" * MAX_LEDGER_BYTES + "\n")
    size = ledger.stat().st_size
    checked = kehu("check", store=path)
    assert checked.code == 1
    assert f"{ledger}:1: file is {size} bytes; records are at most {MAX_LEDGER_BYTES}" in checked.out
    added = kehu("purchase", "add", cid, "--item", "茶", "--price", "100", "--date", "2026-11-01", store=path)
    assert "Traceback" not in added.err
    assert "茶" in kehu("customer", "show", cid, store=path).out  # the purchase is kept
    assert ledger.stat().st_size == size  # nothing appended to a file kehu would refuse
