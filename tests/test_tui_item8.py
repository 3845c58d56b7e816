"""Issue 14 item 8: the TUI's small traps, each driven through the real app (Pilot)."""

from __future__ import annotations

from pathlib import Path

import pytest
from kehu_tui.app import KehuApp
from kehu_tui.screens.customer import CustomerScreen
from kehu_tui.screens.interaction import AddInteractionScreen
from kehu_tui.widgets.customers.table import CustomerTable
from textual import events
from textual.widgets import Checkbox, Input

from kehu_core.phones import display_phone
from kehu_core.store import open_store

from .conftest import kehu
from .test_tui import SIZE, make_app, open_today, open_zhao_min, text_of, wait_for, zhao_min_id

pytestmark = pytest.mark.asyncio


async def open_form(pilot, key: str) -> AddInteractionScreen:
    await open_zhao_min(pilot)
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, AddInteractionScreen), "the form")
    await pilot.pause()
    return pilot.app.screen


def type_fast(app: KehuApp, keys: list[str]) -> None:
    """Keys as a fast typist or a terminal's burst sends them: all queued before the first is
    handled (``pilot.press`` waits for the app to settle after each key)."""
    for key in keys:
        char = {"tab": "\t", "shift+tab": None}.get(key, key)
        event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)  # type: ignore[union-attr]


def values(screen: AddInteractionScreen, *names: str) -> list[str]:
    return [screen.query_one(f"#field-{n}", Input).value for n in names]


async def test_kind_is_three_shift_tabs_from_text_with_no_invisible_stop(demo_copy: Path) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, "i")
        assert app.focused is screen.query_one("#field-text")
        await pilot.press("shift+tab")
        assert app.focused is screen.query_one("#field-date")
        await pilot.press("shift+tab")
        assert app.focused is screen.query_one("#kind")  # no stop on the scrolling field box


async def test_fast_typing_with_tabs_lands_in_each_field(demo_copy: Path) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, "p")
        type_fast(app, [*"安吉白茶 250g", "tab", "2", "tab", *"3360"])
        await wait_for(pilot, lambda: values(screen, "price") == ["3360"], "the price", rounds=60)
        assert values(screen, "item", "qty", "price") == ["安吉白茶 250g", "2", "3360"]


async def test_pasted_tabs_fill_the_following_fields(demo_copy: Path) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, "p")
        paste = events.Paste("安吉白茶 250g\t1\t3360")
        paste.set_sender(app)
        app._driver.send_message(paste)  # type: ignore[union-attr]
        await wait_for(pilot, lambda: values(screen, "price") == ["3360"], "the price", rounds=60)
        assert values(screen, "item", "qty", "price") == ["安吉白茶 250g", "1", "3360"]
        assert app.focused is screen.query_one("#field-price")


async def test_enter_on_a_timeline_row_shows_the_whole_interaction(demo_copy: Path) -> None:
    cid = zhao_min_id(demo_copy)
    long_text = "客户来电说上次买的龙井茶礼盒包装有破损，希望换一个新的，并顺便问了明年春茶的预订时间和价格"
    assert kehu("interaction", "add", cid, "--kind", "call", "--text", long_text,
                store=demo_copy).code == 0
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await open_zhao_min(pilot)
        timeline = app.screen.query_one("#timeline")
        await wait_for(pilot, lambda: timeline.row_count > 0, "the timeline")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query("#record-dialog"), "the record dialog")
        shown = text_of(app.screen.query_one("#record-body"))
        assert long_text in shown.replace("\n", "").replace(" ", "")
        assert "call" in shown
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerScreen), "back")


async def test_slash_focuses_search_after_the_palette_even_from_the_tier_filter(demo_copy: Path) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f", "tab")
        assert app.focused is app.screen.query_one("#filter-tier")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("slash", "z", "m")
        assert app.focused is app.screen.query_one("#search")
        assert app.screen.query_one("#search", Input).value == "zm"
        assert app.screen.query_one("#filter-tier", Input).value == ""


async def test_points_appear_once_on_the_customer_screen(demo_copy: Path) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await open_zhao_min(pilot)
        values_card = app.screen.query_one("#values")
        store = open_store(demo_copy)
        balance = str(store.plugins.values(store, store.get(zhao_min_id(demo_copy)))["points"])

        def shown() -> str:
            return text_of(values_card) + "".join(text_of(p) for p in app.screen.query(".plugin-panel"))

        # the card and the plugins' panels fill in their own time: wait for both, then count
        await wait_for(pilot, lambda: values_card.values is not None and f"balance {balance}" in shown(),
                       "the values and the points panel")
        await pilot.pause()
        assert shown().count(balance) == 1
        assert "points history" not in shown()  # the points panel shows the history


async def test_the_paid_checkbox_is_drawn_whole(demo_copy: Path) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, "p")
        box = screen.query_one("#field-paid", Checkbox)
        drawn = box.render_line(0).text
        assert "▐X▌" in drawn and "…" not in drawn


async def test_snooze_dialog_names_the_customer(demo_copy: Path) -> None:
    from kehu_tui.screens.snooze import SnoozeScreen

    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_today(pilot, app)
        reminder = table.selected
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SnoozeScreen), "the snooze dialog")
        title = text_of(app.screen.query_one(".dialog-title"))
        assert reminder.customer_name in title and reminder.title in title


async def test_owner_sort_and_filter_are_in_pinyin_order(store_path: Path) -> None:
    from kehu_core.textsearch import sort_key

    for name, owner in (("甲", "赵敏"), ("乙", "安娜"), ("丙", "Bob"), ("丁", "陈静")):
        assert kehu("customer", "add", "--name", name, "--owner", owner, store=store_path).code == 0
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(CustomerTable)
        await wait_for(pilot, lambda: table.row_count == 4, "the list")
        table.sort_by("owner")
        await wait_for(pilot, lambda: table.query_state.order == "owner" and table.row_count == 4, "sorted")
        await pilot.pause()
        column = list(table.columns).index("owner")
        owners = [str(table.get_row_at(i)[column]) for i in range(table.row_count)]
        assert owners == ["安娜", "Bob", "陈静", "赵敏"] == sorted(owners, key=sort_key)
        assert app.store.index.distinct_owners() == ["安娜", "Bob", "陈静", "赵敏"]


async def test_phones_in_local_format_for_people_and_e164_in_json(store_path: Path) -> None:
    assert kehu("customer", "add", "--name", "赵敏", "--phone", "13912345678", "--phone", "+1 650 253 0000",
                store=store_path).code == 0
    cid = kehu("customer", "list", "--json", store=store_path).json()[0]["id"]
    local, foreign = "139 1234 5678", "+1 650-253-0000"
    assert display_phone("+8613912345678", "CN") == local
    assert display_phone("+16502530000", "CN") == foreign
    assert display_phone("+16502530000", "US") == "(650) 253-0000"
    shown = kehu("customer", "show", cid, store=store_path).out
    assert local in shown and foreign in shown and "+8613912345678" not in shown
    assert local in kehu("customer", "list", store=store_path).out
    assert kehu("customer", "show", cid, "--json", store=store_path).json()["phones"] == [
        "+8613912345678", "+16502530000"]
    assert kehu("customer", "list", "--json", store=store_path).json()[0]["phones"][0] == "+8613912345678"
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(CustomerTable)
        await wait_for(pilot, lambda: table.row_count == 1, "the list")
        assert local in [str(c) for c in table.get_row_at(0)]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerScreen), "the customer")
        profile = text_of(app.screen.query_one("#profile"))
        assert f"{local}, {foreign}" in profile


@pytest.mark.parametrize(("typed", "said"), [("9999-12-31", "outside the dates kehu keeps"),
                                             ("+100000", "outside the dates kehu keeps"),
                                             ("+99999999999", "past the dates kehu keeps")])
async def test_the_snooze_dialog_keeps_the_dates_the_cli_keeps(typed: str, said: str, demo_copy: Path) -> None:
    """``kehu reminders snooze --until 9999-12-31`` is refused; the TUI's dialog took it (and
    ``+100000``, a day in 2300), and ``+99999999999`` ended the app with an OverflowError."""
    from kehu_tui.screens.snooze import SnoozeScreen

    from .test_hostile import tree_hash

    before = tree_hash(demo_copy)
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await open_today(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SnoozeScreen), "the snooze dialog")
        app.screen.query_one("#snooze-until", Input).value = typed
        await pilot.press("enter")
        await wait_for(pilot, lambda: said in text_of(app.screen.query_one("#snooze-error")), "the refusal")
        assert isinstance(app.screen, SnoozeScreen) and app.is_running
    assert tree_hash(demo_copy) == before
