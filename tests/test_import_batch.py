"""The batched write path of big imports (Store.batch): ledgers written once per batch, the index
built from the records in memory, and a batch that fails midway leaving everything valid."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from bench.import_sheet import write_sheets
from kehu_core.models import Customer
from kehu_core.store import Store, open_store
from tests.conftest import kehu

TABLES = {
    "customers": "SELECT id, path, name, owner, level, phone, search, data, last_contact,"
                 " last_purchase, first_purchase, round(revenue, 2), purchases FROM customers ORDER BY id",
    "tags": "SELECT customer_id, tag FROM tags ORDER BY 1, 2",
    "interactions": "SELECT * FROM interactions ORDER BY customer_id, id",
    "files": "SELECT path, size, customer_id, kind FROM files ORDER BY path",
    "problems": "SELECT * FROM problems ORDER BY path, line",
}


def _index_rows(store: Path) -> dict[str, list[tuple]]:
    db = sqlite3.connect(store / ".kehu" / "index.sqlite")
    try:
        return {name: db.execute(sql).fetchall() for name, sql in TABLES.items()}
    finally:
        db.close()


def _rebuilt_rows(store: Path, tmp: Path) -> dict[str, list[tuple]]:
    """The index a fresh clone would build by reading every file."""
    copy = tmp / "rebuilt"
    shutil.copytree(store, copy, ignore=shutil.ignore_patterns(".kehu", ".git"))
    assert kehu("check", store=copy).code == 0
    return _index_rows(copy)


def _ledger_refs(store: Path) -> list[tuple[str, str]]:
    opened = open_store(store)
    return sorted((cid, e["ref"]) for cid in opened.iter_customer_ids()
                  for e in opened.ledger(cid, "points") if e.get("reason") == "purchase")


def test_sheet_import_indexes_from_memory_exactly_as_reading_the_files(store_path: Path, tmp_path: Path) -> None:
    sheet = write_sheets(tmp_path, 400)["xlsx"]
    summary = kehu("import", str(sheet), "--json", store=store_path).json()
    assert summary["purchases_added"] == 400 and not summary["problems"]
    # the index the import left (rows made from the records it wrote) is the one a rebuild makes
    built = _index_rows(store_path)
    assert len(built["interactions"]) == 400
    assert built == _rebuilt_rows(store_path, tmp_path)
    # points were told about every purchase: one ledger line each, in one write per ledger
    refs = _ledger_refs(store_path)
    purchases = {(cid, iid) for cid, iid, kind, *_ in built["interactions"] if kind == "purchase"}
    assert len(refs) == len(set(refs)) == 400 and set(refs) == purchases
    assert kehu("check", store=store_path).code == 0
    # importing again adds nothing, not even a ledger line
    ledgers = {p: p.read_bytes() for p in (store_path / "customers").rglob("*.ledger.yaml")}
    again = kehu("import", str(sheet), "--json", store=store_path).json()
    assert again["purchases_added"] == 0 and again["purchases_existing"] == 400 and not again["created"]
    assert {p: p.read_bytes() for p in (store_path / "customers").rglob("*.ledger.yaml")} == ledgers


def _customer(cid: str) -> Customer:
    return Customer(id=cid, name=f"顾客{cid}", phones=["13912345678"])


def test_ledger_lines_of_a_batch_are_seen_at_once_and_written_once(store_path: Path) -> None:
    store = Store.open(store_path)
    store.add_customer(_customer("c1"))
    store.append_ledger("c1", "points", {"date": dt.date(2026, 1, 1), "reason": "adjust", "delta": 5})
    path = store.ledger_file("c1", "points")
    before = path.read_text(encoding="utf-8")
    entry = {"date": dt.date(2026, 2, 1), "reason": "purchase", "delta": 7, "ref": "p1",
             "multiplier": Decimal("1.5"), "note": None}
    with store.batch():
        store.append_ledger("c1", "points", entry)
        store.append_ledger("c1", "points", {"date": dt.date(2026, 3, 1), "reason": "redeem", "delta": -2})
        assert path.read_text(encoding="utf-8") == before  # not written yet ...
        seen = store.ledger("c1", "points")  # ... but the batch sees its own lines
    on_disk = store.ledger("c1", "points")
    assert seen == on_disk and len(on_disk) == 3
    assert [type(v) for v in seen[1].values()] == [type(v) for v in on_disk[1].values()]
    assert on_disk[1]["multiplier"] == 1.5 and on_disk[1]["note"] is None
    # the same bytes as three appends outside a batch
    other = Store.init(store_path.parent / "other")
    other.add_customer(_customer("c1"))
    other.append_ledger("c1", "points", {"date": dt.date(2026, 1, 1), "reason": "adjust", "delta": 5})
    other.append_ledger("c1", "points", entry)
    other.append_ledger("c1", "points", {"date": dt.date(2026, 3, 1), "reason": "redeem", "delta": -2})
    def without_ids(text: str) -> str:  # each entry's own random id (kehu_core.ids.entry_id)
        return re.sub(r"\{id: [0-9a-z]{10}, ", "{", text)

    assert without_ids(other.ledger_file("c1", "points").read_text(encoding="utf-8")) == \
        without_ids(path.read_text(encoding="utf-8"))


def test_batch_failing_midway_leaves_valid_files_and_a_consistent_index(store_path: Path, tmp_path: Path) -> None:
    store = open_store(store_path)
    store.index  # noqa: B018 - an open index, kept in step by the batch
    with pytest.raises(RuntimeError, match="disk on fire"), store.batch():
        for n in range(5):
            store.add_customer(_customer(f"c{n}"))
            store.add_interaction(f"c{n}", {"kind": "purchase", "date": "2026-03-01", "amount": "100",
                                            "items": [{"name": "龙井", "qty": 1, "price": "100"}]})
            store.append_ledger(f"c{n}", "notes", {"date": dt.date(2026, 3, 1), "delta": n})
        raise RuntimeError("disk on fire")
    # every record written before the failure is whole, indexed, and checks clean
    assert kehu("check", store=store_path).code == 0
    assert store.index.count() == 5
    assert [len(store.ledger(f"c{n}", "notes")) for n in range(5)] == [1] * 5
    assert _index_rows(store_path) == _rebuilt_rows(store_path, tmp_path)
    assert not list(store_path.rglob("*.tmp"))
    # the lock was given back: another process can write
    assert kehu("customer", "add", "--name", "王芳", "--id", "c9", store=store_path).code == 0


def test_the_store_lock_is_reentrant_and_released(store_path: Path) -> None:
    store = Store.open(store_path)
    with store.lock(), store.lock():
        store.add_customer(_customer("c1"))
    assert not store._lock.is_locked
    with store.batch(), store.batch():
        store.add_customer(_customer("c2"))
    assert not store._lock.is_locked
    assert kehu("customer", "add", "--name", "王芳", "--id", "c3", store=store_path).code == 0


def test_fast_xlsx_reader_reads_the_cells_and_line_numbers_openpyxl_reads(tmp_path: Path) -> None:
    import openpyxl

    from kehu_core.services.importing.sheet_tables import openpyxl_tables, xlsx_tables
    from kehu_core.services.importing.values import text

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "客户"
    sheet.append([])  # a blank first row: line numbers must still count from row 1
    sheet.append(["姓名", "联系电话", "交易日期", "成交金额", "会员"])
    sheet.append(["张三", 13912345678, dt.datetime(2024, 5, 20), 1288.5, True])
    sheet.append([None, None, None, None, None])
    sheet.append(["李四", "+86 137 0000 1111", dt.date(2024, 1, 2), 12, "=1+1"])
    book.create_sheet("备注").append(["x", 1.25])
    path = tmp_path / "mixed.xlsx"
    book.save(path)

    def cells(tables: list) -> list:
        return [(label, [(n, [text(c) for c in row][:5]) for n, row in rows if any(text(c) for c in row)])
                for label, _sheet, rows in tables]

    fast = cells(xlsx_tables(path))
    assert fast == cells(openpyxl_tables(path))
    assert fast[0][1][1] == (3, ["张三", "13912345678", "2024-05-20", "1288.5", "TRUE"])  # as the sheet shows it
