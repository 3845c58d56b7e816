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


def _workbook(tmp_path: Path, *rows: list, formats: dict[str, str] | None = None) -> Path:
    """客户.xlsx of ``rows`` as openpyxl writes them, ``formats`` a cell's number format."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for cell, number_format in (formats or {}).items():
        sheet[cell].number_format = number_format
    path = tmp_path / "客户.xlsx"
    book.save(path)
    return path


def _shop(tmp_path: Path) -> Path:
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    return store


def test_an_xlsx_number_cell_of_nan_or_infinity_is_refused_as_a_csvs(tmp_path: Path) -> None:
    """A script's float('nan') or float('inf') in a number cell (openpyxl writes it as an empty
    value): the credit limit or a sale's amount was read as empty and lost, exit 0, where the
    same NaN in a CSV was refused. The row is refused, naming the column; the rest imported."""
    path = _workbook(tmp_path, ["姓名", "credit_limit", "交易日期", "成交金额"], ["甲", float("nan"), None, None],
                     ["乙", None, "2026-11-01", float("inf")], ["丙", 100, None, None])
    store = _shop(tmp_path)
    done = kehu("import", str(path), store=store)
    assert done.code == 1, done.out + done.err
    no_traceback(done)
    assert f"{path}:2: sheet 'Sheet' cell B2 (credit_limit):" in done.err and "NaN" in done.err, done.err
    assert f"{path}:3: sheet 'Sheet' cell D3 (成交金额):" in done.err, done.err
    assert [c["name"] for c in _customers(store)] == ["丙"]


def test_an_xlsx_yes_no_cell_reads_as_the_sheet_shows_it(tmp_path: Path) -> None:
    """A TRUE/FALSE cell of an .xlsx in a text column became Python's "True"/"False" (a name, a
    note no sheet showed), and a number cell of 1/3 its 16 digits (Excel shows 15); in a yes/no
    column it means what it says. Both readers (calamine, and openpyxl for a sheet too wide)
    give the cell to ``importing.values.text``."""
    from kehu_core.services.importing.sheet_tables import openpyxl_tables, xlsx_tables
    from kehu_core.services.importing.values import text

    path = _workbook(tmp_path, ["姓名", "备注", "do_not_contact", "联系电话", "昵称"],
                     [True, 1 / 3, False, 13912345678.0, False], ["乙", 12.5, True, "13912345679", 1234567890123])
    for tables in (xlsx_tables(path), openpyxl_tables(path)):
        rows = [[text(cell) for cell in row] for _n, row in tables[0][2]]
        assert rows[1] == ["TRUE", "0.333333333333333", "FALSE", "13912345678", "FALSE"], rows
    store = _shop(tmp_path)
    done = kehu("import", str(path), store=store)
    assert done.code == 0, done.out + done.err
    shown = {c["name"]: kehu("customer", "show", c["id"], "--json", store=store).json()
             for c in _customers(store)}
    assert set(shown) == {"TRUE", "乙"}, shown
    first, second = shown["TRUE"], shown["乙"]
    assert first["notes"] == "0.333333333333333" and first["nickname"] == "FALSE", first
    assert not first.get("do_not_contact"), first
    assert first["phones"] == ["+8613912345678"], first
    assert second["do_not_contact"] is True and second["notes"] == "12.5", second
    assert second["nickname"] == "1234567890123", second


def test_an_xlsx_date_and_time_cell_in_a_text_column_reads_as_a_sheet_shows_it(tmp_path: Path) -> None:
    """A date-and-time cell under a note was kept as Python's 2026-01-01T10:30:00, which no
    sheet shows; now 2026-01-01 10:30:00 (``importing.values.text``), read as a sale's day alike."""
    import datetime as dt

    path = _workbook(tmp_path, ["姓名", "备注", "交易日期", "成交金额"],
                     ["甲", dt.datetime(2026, 1, 1, 10, 30), dt.datetime(2026, 1, 2, 9, 0), 10])
    store = _shop(tmp_path)
    done = kehu("import", str(path), store=store)
    assert done.code == 0, done.out + done.err
    (only,) = _customers(store)
    shown = kehu("customer", "show", only["id"], "--json", store=store).json()
    assert shown["notes"] == "2026-01-01 10:30:00", shown


def test_a_new_id_a_profile_lists_under_also_known_is_refused(tmp_path: Path) -> None:
    """`customer reid 丙 B` (or `customer add --id B`) where B was merged into 甲 (甲's
    `also_known` names it): a second customer under B, while an import's row naming B and a
    sync's records of B follow it to 甲 — references pointing two ways. Refused, naming 甲's
    file; the store unchanged."""
    store = tmp_path / "shop"
    assert kehu("init", str(store)).code == 0
    for cid, name in (("a1", "甲"), ("b1", "乙"), ("c1", "丙")):
        added = kehu("customer", "add", "--id", cid, "--name", name, store=store)
        assert added.code == 0, added.err
    merged = kehu("customer", "merge", "a1", "b1", store=store)
    assert merged.code == 0, merged.out + merged.err
    before = sorted(p.relative_to(store).as_posix() for p in (store / "customers").rglob("*"))
    for args in (("customer", "reid", "c1", "b1"), ("customer", "add", "--id", "b1", "--name", "丁")):
        done = kehu(*args, store=store)
        assert done.code == 1, (args, done.out, done.err)
        no_traceback(done)
        assert "'b1'" in done.err and "also_known" in done.err and "a1" in done.err, done.err
        assert sorted(p.relative_to(store).as_posix() for p in (store / "customers").rglob("*")) == before
    assert kehu("customer", "reid", "c1", "d1", store=store).code == 0


def test_an_edit_of_another_field_leaves_explicitly_tagged_values_byte_for_byte(tmp_path: Path) -> None:
    """A profile `kehu check` takes, holding values another tool or a hand tagged (`x: !!binary
    aGVsbG8=`; in a list `!!bool yes`, `!!null ""`): `customer set` of the notes rewrote them —
    the binary as a block, the list as `true`, an empty item. Only the line of the notes changes
    now (`yamlio.splice.keep_unchanged_entries`). (`!!pairs [a: 1]`, a list of lists here, is
    refused by every door since the twenty-sixth round: each read another value,
    `test_hostile_twentysixth_yamlfuzz`.)"""
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    assert kehu("customer", "add", "--id", "a1", "--name", "甲", store=store).code == 0
    path = next((store / "customers").rglob("customer.yaml"))
    tagged = ('x: !!binary aGVsbG8=\nl:\n- !!binary aGVsbG8=\n- !!null ""\n- !!bool yes\n- !!int 0x1F\n'
              'b: !!bool "true"\n')
    path.write_text(path.read_text(encoding="utf-8") + tagged, encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    checked = kehu("check", store=store)
    assert checked.code == 0, checked.out + checked.err
    done = kehu("customer", "set", "a1", "notes=hi", store=store)
    assert done.code == 0, done.err
    after = path.read_text(encoding="utf-8")
    assert after.replace("notes: hi\n", "") == before, after
    assert kehu("check", store=store).code == 0


def test_an_xlsx_number_of_zeros_or_a_percentage_reads_as_the_sheet_shows_it(tmp_path: Path) -> None:
    """A member number formatted 00000 (Excel shows 00123) was imported as customer 123, a new
    customer beside the 00123 the store has; a note of 0% (25%) as 0.25. Both readers give
    what the sheet shows (``importing.workbook_scan.cells_as_shown``)."""
    from kehu_core.services.importing.sheet_tables import openpyxl_tables, xlsx_tables
    from kehu_core.services.importing.values import text
    from kehu_core.services.importing.workbook_scan import cells_as_shown

    path = _workbook(tmp_path, ["顾客ID", "姓名", "备注"], [123, "甲", 0.25], [45, "乙", 0.125],
                     formats={"A2": "00000", "C2": "0%", "A3": "000000", "C3": "0.00%"})
    shown = cells_as_shown(path)
    for tables in (xlsx_tables(path, shown), openpyxl_tables(path, shown)):
        rows = [[text(cell) for cell in row] for _n, row in tables[0][2]]
        assert rows[1:] == [["00123", "甲", "25%"], ["000045", "乙", "12.50%"]], rows
    store = _shop(tmp_path)
    assert kehu("customer", "add", "--id", "00123", "--name", "甲", store=store).code == 0
    done = kehu("import", str(path), store=store)
    assert done.code == 0, done.out + done.err
    assert sorted(c["id"] for c in _customers(store)) == ["000045", "00123"]
    assert kehu("customer", "show", "00123", "--json", store=store).json()["notes"] == "25%"
