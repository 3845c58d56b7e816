"""Fifteenth round, the lead's finds and guards (issue 16). See docs/reliability.md, "The
outside attacker's variants"."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path
from typing import Any

import openpyxl

from kehu_core.hookspecs import hookimpl
from kehu_core.testing import make_store, run_kehu

from .conftest import kehu
from .test_hostile import tree_hash
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


class KeyAccountsStayWithSeniors:
    """A shop's rule: a VIP customer is owned by a senior rep (李四 is not one)."""

    @hookimpl
    def validate_customer(self, customer: Any) -> list[str]:
        if "VIP" in customer.tags and customer.owner == "李四":
            return ["owner: a VIP customer stays with a senior rep"]
        return []


def test_a_handover_refused_at_one_customer_hands_over_none(tmp_path: Path) -> None:
    """`kehu handover 王芳 李四` where a shop's plugin rule refuses one of her customers to 李四
    (a VIP stays with a senior rep): the customers before it in the list were handed over
    and left so, uncommitted, exit 1 — half of her book moved, the rest not. A hand-over is
    whole or not at all: refused naming the customer and the rule, no file changed, no commit."""
    customers = [{"name": f"客户{n}", "owner": "王芳", "tags": ["VIP"] if n == 3 else []} for n in range(6)]
    shop = make_store(tmp_path / "shop", customers=customers, plugins={"seniors": KeyAccountsStayWithSeniors()},
                       git=True)
    before = tree_hash(shop.root)
    head = subprocess.run(["git", "-C", str(shop.root), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    result = run_kehu(shop, "handover", "王芳", "李四")
    assert result.code == 1, result.out + result.err
    assert tree_hash(shop.root) == before
    assert "VIP customer stays with a senior rep" in result.err and "客户3" in result.err, result.err
    assert "Traceback" not in result.err
    assert subprocess.run(["git", "-C", str(shop.root), "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout == head
    listed = run_kehu(shop, "customer", "list", "--owner", "王芳", "--json")
    assert len(listed.json()) == 6, listed.out
