"""A purchase line whose quantity and unit price are both more than nothing but whose amount
rounds to ¥0.00 (``--qty 0.0000001 --price 10``) is refused at every door: the CLI, an import's
row, a hand-edited file (``kehu check``), the TUI's form. It was stored as a sale of ¥0.00 with
exit 0. One rule (kehu_core.models.purchase.LineItem), one message, exit 1, nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kehu_core.ids import shard

from .conftest import kehu
from .test_hostile import tree_hash

MESSAGE = "qty × price (0.0000001 × ¥10.00) rounds to ¥0.00: give a qty of at least 0.001 at this price"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("fen") / "base"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "李雷", "--phone", "13800138000", store=path).out.strip()
    assert kehu("purchase", "add", cid, "--item", "茶", "--qty", "2", "--price", "10", "--date", "2026-11-01",
                "--paid", store=path).code == 0
    shutil.rmtree(path / ".kehu", ignore_errors=True)
    return path, cid


@pytest.fixture
def store(base: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "store"
    shutil.copytree(base[0], path)
    return path, base[1]


def _no_traceback(text: str) -> None:
    assert "Traceback" not in text and "internal error" not in text, text[-2000:]


@pytest.mark.parametrize("argv", [
    ["--item", "茶", "--qty", "0.0000001", "--price", "10"],
    ["--item", "茶", "--qty", "0.0000001", "--price", "10", "--amount", "5"],  # the line itself is no sale
])
def test_purchase_add_refuses_a_line_that_rounds_to_nothing(argv: list[str], store: tuple[Path, str]) -> None:
    path, cid = store
    before = tree_hash(path)
    result = kehu("purchase", "add", cid, *argv, "--date", "2026-11-02", store=path)
    _no_traceback(result.out + result.err)
    assert result.code == 1, result
    assert f"--price: {MESSAGE}" in result.err, result.err  # the argument, not a line of a file
    assert tree_hash(path) == before


@pytest.mark.parametrize(("qty", "price"), [("0.001", "10"), ("1", "0"), ("0.5", "0.02")])
def test_a_line_worth_a_fen_or_free_is_still_taken(qty: str, price: str, store: tuple[Path, str]) -> None:
    """The least quantity the message asks for is enough; a free item (price 0) is no mistake."""
    path, cid = store
    result = kehu("purchase", "add", cid, "--item", "茶", "--qty", qty, "--price", price,
                  "--date", "2026-11-02", "--paid", store=path)
    assert result.code == 0, result.err
    assert result.err.startswith("¥0.01" if price != "0" else "¥0.00"), result.err


def test_an_imported_row_that_rounds_to_nothing_is_refused_at_its_row(store: tuple[Path, str], tmp_path: Path) -> None:
    path, _cid = store
    sheet = tmp_path / "sales.csv"
    sheet.write_text("name,phone,date,item,qty,price\n"
                     "韩梅梅,13900139000,2026-11-02,茶,1,5\n"
                     "王五,13700137000,2026-11-02,茶,0.0000001,10\n", encoding="utf-8")
    result = kehu("import", str(sheet), store=path)
    _no_traceback(result.out + result.err)
    assert result.code == 1
    assert f"{sheet}:3: purchase: items.0.price: {MESSAGE}" in result.out + result.err, result.out + result.err
    listed = kehu("customer", "list", store=path).out
    assert "韩梅梅" in listed and "王五" not in listed  # the good row imported, the refused one not


def test_check_finds_a_hand_edited_line_that_rounds_to_nothing(store: tuple[Path, str]) -> None:
    path, cid = store
    record = next((path / "customers" / shard(cid) / cid / "interactions").glob("*.yaml"))
    text = record.read_text(encoding="utf-8")
    assert "  qty: 2\n  price: 10.00\n" in text, text
    record.write_text(text.replace("  qty: 2\n", "  qty: 0.0000001\n"), encoding="utf-8")
    line = record.read_text(encoding="utf-8").splitlines().index("  price: 10.00") + 1
    before = tree_hash(path)
    check = kehu("check", store=path)
    _no_traceback(check.out + check.err)
    assert check.code == 1
    assert f"{record}:{line}: items.0.price: {MESSAGE}" in check.out + check.err, check.out + check.err
    assert tree_hash(path) == before


@pytest.mark.asyncio
async def test_the_tuis_purchase_form_refuses_a_line_that_rounds_to_nothing(store_path: Path) -> None:
    from kehu_tui.widgets.forms.field import FormField
    from textual.widgets import Input

    from .test_tui import SIZE, make_app, open_purchase_form

    kehu("customer", "add", "--name", "赵敏", store=store_path)
    before = tree_hash(store_path)
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_purchase_form(pilot)
        screen = app.screen
        screen.query_one("#field-item", Input).value = "茶"
        screen.query_one("#field-qty", Input).value = "0.0000001"
        screen.query_one("#field-price", Input).value = "10"
        screen.action_save()
        await pilot.pause()
        assert app.screen is screen  # not saved, the form stays
        error = screen.query_one("#row-price", FormField).error
        assert MESSAGE in error, error
    assert tree_hash(store_path) == before
