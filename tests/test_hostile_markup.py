"""Text that looks like Rich or Textual markup (issue 16, kind 2: text kehu reads one way and
shows another). A customer named ``[/]``, a rep ``[b]王``, an item ``[/]茶`` or a complaint
``[/] 又坏了`` ended ``customer list`` on a terminal, ``customer show``, ``search`` and five reports
in "internal error: MarkupError", and the TUI at start; ``[vip] 张三`` lost its brackets. Now
what a record says is shown as written, everywhere; kehu's own styling still shows."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import kehu, kehu_subprocess

NAMES = ("[/]", "[bold]x[/bold][/]", "[vip] 张三")


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    path = tmp_path_factory.mktemp("markup") / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    ids: list[str] = []
    with pytest.MonkeyPatch.context() as day:  # the day the tests read the store on, not the real one
        day.setenv("KEHU_TODAY", "2026-11-20")  # (a redemption of points that expire a year on)
        for name in NAMES:
            extra = ["--referrer", ids[-1]] if ids else []
            result = kehu("customer", "add", "--name", name, "--owner", "[b]王", *extra, store=path)
            assert result.code == 0, result.err
            ids.append(result.out.strip())
        for cid in ids:
            for argv in (["purchase", "add", cid, "--item", "[/]茶", "--price", "50", "--date", "2026-10-01"],
                         ["interaction", "add", cid, "--kind", "complaint", "--text", "[/] 又坏了"],
                         ["points", "redeem", cid, "1", "--reason", "[/]"]):
                result = kehu(*argv, store=path)
                assert result.code == 0, (argv, result.err)
    return path, ids


COMMANDS = [
    ["customer", "list"], ["customer", "show", "{id}"], ["search", "张三"], ["report", "products"],
    ["report", "reps"], ["report", "credit"], ["report", "abc"], ["report", "referrals"],
    ["report", "churn", "--customers", "5"], ["report", "complaints"], ["complaint", "list"], ["points", "{id}"],
    ["reminders"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_markup_in_a_record_is_printed_as_written_on_a_terminal(argv: list[str], shop: tuple[Path, list[str]]) -> None:
    path, ids = shop
    env = {**os.environ, "TTY_COMPATIBLE": "1", "COLUMNS": "250", "KEHU_TODAY": "2026-11-20", "NO_COLOR": "1"}
    result = kehu_subprocess(*[a.replace("{id}", ids[-1]) for a in argv], store=path, env=env)
    said = result.stdout + result.stderr
    assert result.returncode == 0, said[-2000:]
    assert "MarkupError" not in said and "internal error" not in said and "Traceback" not in said
    if argv[0] in ("customer", "search"):
        assert "[vip] 张三" in said, said[-2000:]


def test_kehus_own_styling_still_shows(shop: tuple[Path, list[str]]) -> None:
    path, _ids = shop
    env = {**os.environ, "TTY_COMPATIBLE": "1", "FORCE_COLOR": "1", "COLUMNS": "250", "KEHU_TODAY": "2026-11-20"}
    result = kehu_subprocess("report", "credit", store=path, env=env)
    assert result.returncode == 0, result.stderr
    assert "\x1b[1mCredit on" in result.stdout and "[bold]Credit" not in result.stdout


@pytest.mark.asyncio
async def test_the_tui_shows_markup_in_records_as_written(shop: tuple[Path, list[str]]) -> None:
    from kehu_tui.screens.customer import CustomerScreen
    from kehu_tui.screens.reports import CreditScreen, ReferralsScreen
    from kehu_tui.widgets.customers.table import CustomerTable

    from .test_tui import SIZE, make_app, names, text_of, wait_for
    from .test_tui_reports import _open

    path, ids = shop
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(CustomerTable)
        await wait_for(pilot, lambda: table.row_count == len(NAMES), "the list")
        assert sorted(names(table)) == sorted(NAMES)
        screen = await _open(pilot, app, "f", ReferralsScreen)
        assert "[bold]x[/bold][/]" in text_of(screen.query_one("#referral-tree"))
        await pilot.press("escape")
        await _open(pilot, app, "c", CreditScreen)
        await pilot.press("down")
        await pilot.press("escape", "escape")
        table = app.screen.query_one(CustomerTable)
        table.move_cursor(row=names(table).index("[/]"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerScreen), "the customer")
        await pilot.pause()
    assert app.return_code in (None, 0)
