"""Slow work of the TUI runs off the screen's thread: the dashboard's figures and the tier
filter of the customer list (both take seconds with 100 000 customers).

To look at the app while that work is still going on, without timing anything, a test keeps
one of the app's worker threads busy with a job that waits for a gate (``hold``); the app's
own work queues behind it. Everything else is real: the demo store, its index, the plugins.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from kehu_tui.background import Background
from kehu_tui.formatting import money
from kehu_tui.screens.dashboard import DashboardScreen
from kehu_tui.screens.today import TodayScreen
from kehu_tui.widgets.customers.table import CustomerTable
from kehu_tui.widgets.reminders.table import ReminderTable
from textual.widgets import Input, Static

from kehu_core import reports as analytics
from kehu_core.demo import TODAY
from kehu_core.reminder_engine import day_list, due_reminders
from kehu_core.store import open_store

from .test_tui import SIZE, make_app, names, text_of, wait_for

pytestmark = pytest.mark.asyncio


@asynccontextmanager
async def hold(background: Background) -> AsyncIterator[None]:
    """Keep ``background``'s thread busy until the block ends."""
    gate = threading.Event()
    busy = asyncio.ensure_future(background.run(lambda store: gate.wait(60)))
    try:
        yield
    finally:
        gate.set()
        await busy


def row_ids(table: CustomerTable) -> list[str]:
    return [table.coordinate_to_cell_key((i, 0)).row_key.value or "" for i in range(table.row_count)]


def loading_indicators(app) -> int:
    """How many loading indicators the screen shows (five dots each; "Loading..." when
    animations are off)."""
    lines = ["".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()]
    return sum(line.count("\u25cf \u25cf \u25cf \u25cf \u25cf") + line.count("Loading...")
               for line in lines)


async def open_dashboard(pilot, app) -> DashboardScreen:
    await pilot.press("d")
    await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard")
    return app.screen


def status(app) -> str:
    return text_of(app.screen.query_one("#list-status", Static))


async def test_dashboard_shows_loading_then_figures_and_keys_work_meanwhile(demo_copy: Path) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        async with hold(app.reports):
            screen = await open_dashboard(pilot, app)
            await pilot.pause()
            # the screen is up while its figures are still being computed
            assert sorted(screen.loading_cards) == ["products", "pyramid", "receivables", "reps", "revenue"]
            assert loading_indicators(app) == 5  # one on each card
            assert "Key customers" not in text_of(screen.query_one("#pyramid"))
            await pilot.press("ctrl+t")  # a key is handled meanwhile
            assert app.theme == "textual-light"
        await wait_for(pilot, lambda: not screen.loading_cards, "the figures")
        # the indicators go on the next repaint, which a busy machine may not have made yet
        await wait_for(pilot, lambda: loading_indicators(app) == 0, "the loading indicators to go")
        pyramid = text_of(screen.query_one("#pyramid"))
        assert "Key customers" in pyramid and "Small customers" in pyramid
        assert "hot sellers" in text_of(screen.query_one("#products"))
        report = analytics.receivables_report(open_store(demo_copy), TODAY)
        assert report.items  # the demo store has unpaid purchases
        assert str(screen.query_one("#receivables").border_subtitle) == (
            f"total {money(report.total)} · {len(report.items)} unpaid")
        await pilot.press("escape")
        assert not isinstance(app.screen, DashboardScreen)


async def test_leaving_the_dashboard_before_its_figures_are_in(demo_copy: Path) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        async with hold(app.reports):
            await open_dashboard(pilot, app)
            await pilot.press("escape")
            await pilot.pause()
        table = app.screen.query_one(CustomerTable)
        await pilot.press("down", "down")
        assert table.cursor_row == 2
        await pilot.press("d")  # again: this time it gets its figures
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard")
        await wait_for(pilot, lambda: not app.screen.loading_cards, "the figures")
        assert "Key customers" in text_of(app.screen.query_one("#pyramid"))


def tiers_by_core(path: Path) -> dict[str, str | None]:
    """Each customer's tier as the plugins compute it (what the filter must agree with)."""
    store = open_store(path)
    customers = [row.customer for row in store.index.list()]
    values = store.plugins.values_many(store, customers)
    return {c.id: v.get("tier") for c, v in zip(customers, values, strict=True)}


async def set_tier(pilot, tier: str) -> None:
    box = pilot.app.screen.query_one("#filter-tier", Input)
    box.focus()
    box.value = tier
    await pilot.press("enter")


async def test_tier_filter_switched_twice_quickly_ends_with_the_second(demo_copy: Path) -> None:
    tiers = tiers_by_core(demo_copy)
    # typed as an English run shows it (小客户) and as the records keep it (Major customers)
    first, second = "Small customers", "主要客户"
    wanted = {cid for cid, tier in tiers.items() if tier == second}
    assert 0 < len(wanted) < 50 and any(t == "小客户" for t in tiers.values())
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(CustomerTable)
        await pilot.press("f")
        async with hold(app.background):
            await set_tier(pilot, first)
            await pilot.pause()
            # the list says it is looking, and the app still takes keys
            assert table.loading and table.row_count == 0 and loading_indicators(app) == 1
            assert "looking" in status(app) and f"tier: {first}" in status(app)
            await set_tier(pilot, second)
            await pilot.press("ctrl+t")
            assert app.theme == "textual-light"
        await wait_for(pilot, lambda: not table.fetching and table.row_count > 0, "the rows")
        await pilot.pause(0.2)  # a late answer for the first filter would land now
        assert set(row_ids(table)) == wanted
        assert {str(table.get_row_at(i)[2]) for i in range(table.row_count)} == {"Major customers"}
        assert not table.loading
        assert f"{len(wanted)} of 200 customers" in status(app) and f"tier: {second}" in status(app)
        # clearing the filter brings the whole list back
        await set_tier(pilot, "")
        await wait_for(pilot, lambda: table.row_count >= 30, "the whole list")
        assert "tier:" not in status(app)


async def test_scrolling_to_the_end_shows_every_customer(demo_copy: Path) -> None:
    """Rows are put on screen a screenful at a time; scrolling down brings the rest."""
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(CustomerTable)
        assert 0 < table.row_count < 200
        for _ in range(10):
            if table.row_count == 200:
                break
            await pilot.press("ctrl+end")
            await pilot.pause()
        store = open_store(demo_copy)
        assert names(table) == [row.customer.name for row in store.index.list()]
        assert "200 customers · sorted by name" in status(app)


async def test_today_shows_loading_then_every_reminder_due(demo_copy: Path) -> None:
    found = day_list(due_reminders(open_store(demo_copy), TODAY, TODAY), TODAY).reminders
    assert found
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        async with hold(app.reports):
            await pilot.press("t")
            await wait_for(pilot, lambda: isinstance(app.screen, TodayScreen), "today")
            await pilot.pause()
            table = app.screen.query_one(ReminderTable)
            assert table.loading and loading_indicators(app) == 1
            assert "computing" in text_of(app.screen.query_one("#today-status"))
            await pilot.press("ctrl+t")
            assert app.theme == "textual-light"
        await wait_for(pilot, lambda: table.row_count > 0 and not table.loading, "the reminders")
        assert set(table.reminders) == {r.key for r in found}
        assert f"{len(found)} reminders" in text_of(app.screen.query_one("#today-status"))
        await pilot.press("down")  # the table has the keys
        assert table.cursor_row == 1
