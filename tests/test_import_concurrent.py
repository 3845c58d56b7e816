"""Two `kehu import` of one sheet at the same time (issue 16, kind 6): two real processes, one
store. Matching runs under the store's lock against what is in the store at that moment, so
each customer and purchase is stored once, whichever import comes second."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kehu_core.store import Store

from .conftest import kehu

ROWS = 600


def test_two_imports_of_one_sheet_at_once_store_everything_once(store_path: Path,
                                                                 tmp_path: Path) -> None:
    sheet = tmp_path / "客户.csv"
    lines = ["姓名,联系电话,交易日期,购买商品,成交金额"]
    lines += [f"客户{i},139{i:08d},2026-10-{1 + i % 28:02d},龙井{i % 7},{100 + i}"
              for i in range(ROWS)]
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    argv = [sys.executable, "-m", "kehu_core", "--store", str(store_path), "import", str(sheet)]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [p.communicate(timeout=600) for p in procs]

    assert [p.returncode for p in procs] == [0, 0], results
    store = Store.open(store_path)
    ids = list(store.iter_customer_ids())
    assert len(ids) == ROWS
    purchases = sum(1 for cid in ids for i in store.interactions(cid) if i.kind == "purchase")
    assert purchases == ROWS
    assert kehu("check", store=store_path).code == 0
    # the second import found the first's work: nothing new from it
    again = kehu("import", str(sheet), "--json", store=store_path).json()
    assert again["created"] == [] and again["purchases_added"] == 0
