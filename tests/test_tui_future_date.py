"""A date after today, refused by the store's one rule (``Store.check_not_future``) at every door,
is said as the door can act on it: the CLI and an import name ``--allow-future``; the TUI's
payment and purchase forms, which have no such switch, said "refused unless --allow-future" too,
and now say what can be done there (the real app, driven by Pilot)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import kehu
from .test_hostile import tree_hash
from .test_payments import _customer, _sale

TOMORROW = "2026-11-21"  # the tests' day is 2026-11-20 (conftest.TODAY)


@pytest.mark.asyncio
async def test_the_payment_form_says_what_to_do_about_a_future_date(store_path: Path) -> None:
    from kehu_tui.screens.pay import PayScreen

    from .test_tui import SIZE, make_app, open_pay_dialog, text_of, wait_for

    cid = _customer(store_path)
    _sale(store_path, cid)
    before = tree_hash(store_path)
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_pay_dialog(pilot)
        app.screen.query_one("#pay-date").value = TOMORROW
        await pilot.press(*"100", "enter")
        await wait_for(pilot, lambda: text_of(app.screen.query_one("#pay-error")), "the error")
        assert isinstance(app.screen, PayScreen)  # not recorded, the dialog stays
        error = text_of(app.screen.query_one("#pay-error"))
        assert f"payment date {TOMORROW} is after today (2026-11-20)" in error, error
        assert "--allow-future" not in error and "type today's date or an earlier one" in error, error
    assert tree_hash(store_path) == before


@pytest.mark.asyncio
async def test_the_purchase_form_says_what_to_do_about_a_future_date(store_path: Path) -> None:
    from kehu_tui.widgets.forms.field import FormField

    from .test_tui import SIZE, make_app, open_purchase_form

    _customer(store_path)
    before = tree_hash(store_path)
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_purchase_form(pilot)
        form = app.screen
        form.query_one("#row-date", FormField).value = TOMORROW
        form.query_one("#field-item").focus()
        await pilot.press(*"龙井", "tab", "1", "tab", *"500", "enter")
        await pilot.pause()
        assert app.screen is form
        error = form.query_one("#row-date", FormField).error or ""
        assert "after today" in error and "--allow-future" not in error, error
        assert "type today's date or an earlier one" in error, error
    assert tree_hash(store_path) == before


def test_the_cli_still_names_its_flag(store_path: Path) -> None:
    cid = _customer(store_path)
    pid = _sale(store_path, cid)
    paid = kehu("purchase", "pay", cid, pid, "--date", TOMORROW, store=store_path)
    assert paid.code == 1 and "a future date is refused unless --allow-future" in paid.err, paid.err
    bought = kehu("purchase", "add", cid, "--item", "茶", "--price", "5", "--date", TOMORROW, store=store_path)
    assert bought.code == 1 and "unless --allow-future" in bought.err, bought.err
    assert kehu("purchase", "pay", cid, pid, "--date", TOMORROW, "--allow-future", store=store_path).code == 0
