"""Fifteenth round, the lead's finds and guards (issue 16). See docs/reliability.md, "The
outside attacker's variants"."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl

from .conftest import kehu
from .test_hostile_limits import base, no_traceback, store  # noqa: F401 (fixtures)

PIECE = 1 << 20  # what the workbook's checks read of a part at a time


def test_a_formula_nobody_calculated_astride_two_pieces_of_a_big_sheet_is_found(
        store: tuple[Path, str], tmp_path: Path) -> None:  # noqa: F811
    """A sheet is looked at a megabyte at a time for a formula with no value (a cell read as
    empty, its phone lost). A formula cell that begins in one piece and ends in the next is
    found wherever the cut falls: its row is refused, nothing stored; the same sheet with the
    value is imported."""
    path, _ = store
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机"])
    for n in range(30_000):  # some 1.3 MB of cells before it
        sheet.append([f"客户{n}", f"1391234{n:04d}"[:11]])
    sheet.append(["李四", '="139"&"12345678"'])
    made = tmp_path / "made.xlsx"
    book.save(made)
    with zipfile.ZipFile(made) as src:
        xml = src.read("xl/worksheets/sheet1.xml")
    cell = xml.rindex(b"<c ", 0, xml.index(b"<f>"))  # where the formula's cell begins
    before = sorted(p.relative_to(path) for p in (path / "customers").rglob("*"))
    for into in (1, 4, 9, 20):  # a piece ends this many bytes into the formula's cell
        padded = xml.replace(b"<sheetData>", b"<sheetData>" + b" " * (-(cell + into) % PIECE), 1)
        at = padded.rindex(b"<c ", 0, padded.index(b"<f>"))
        assert (at + into) % PIECE == 0
        cut = tmp_path / f"cut-{into}.xlsx"
        with zipfile.ZipFile(made) as src, zipfile.ZipFile(cut, "w", zipfile.ZIP_DEFLATED) as out:
            for info in src.infolist():
                out.writestr(info.filename, padded if info.filename == "xl/worksheets/sheet1.xml"
                             else src.read(info.filename))
        result = kehu("import", str(cut), store=path)
        no_traceback(result)
        assert result.code == 1 and "B30002" in result.out + result.err, (into, result.out + result.err)
    assert sorted(p.relative_to(path) for p in (path / "customers").rglob("*")) == before
