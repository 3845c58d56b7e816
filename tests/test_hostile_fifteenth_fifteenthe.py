"""The fifteenth outside round (fifteenthe, 2026-12-06), kinds 2 and 3: what an .xlsx, a hand
edit or a new id says is read one way at every door. Each failed on the code before its fix.
See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

from pathlib import Path

from . import test_hostile_limits
from .conftest import kehu

no_traceback = test_hostile_limits.no_traceback


def _customers(store: Path) -> list[dict]:
    return kehu("customer", "list", "--json", store=store).json()


def test_an_xlsx_number_cell_of_nan_or_infinity_is_refused_as_a_csvs(tmp_path: Path) -> None:
    """A script's float('nan') or float('inf') in a number cell (openpyxl writes it as an empty
    value): the credit limit or a sale's amount was read as empty and lost, exit 0, where the
    same NaN in a CSV was refused. The row is refused, naming the column; the rest imported."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "credit_limit", "交易日期", "成交金额"])
    sheet.append(["甲", float("nan"), None, None])
    sheet.append(["乙", None, "2026-11-01", float("inf")])
    sheet.append(["丙", 100, None, None])
    path = tmp_path / "客户.xlsx"
    book.save(path)
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    done = kehu("import", str(path), store=store)
    assert done.code == 1, done.out + done.err
    no_traceback(done)
    assert f"{path}:2: credit_limit:" in done.err and "NaN" in done.err, done.err
    assert f"{path}:3: 成交金额:" in done.err, done.err
    assert [c["name"] for c in _customers(store)] == ["丙"]
