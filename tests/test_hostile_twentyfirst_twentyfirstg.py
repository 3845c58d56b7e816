"""The twenty-first round (twentyfirstg, 2026-12-07, issue 16): the TUI's background work meets
a user's problem. Each test failed on the code before its fix. See docs/reliability.md."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from kehu_core.testing import add_interaction, make_store, open_customer, screen_text, wait_until

TODAY = dt.date(2026, 11, 20)


@pytest.mark.asyncio
async def test_a_values_worker_meeting_a_link_in_kehu_says_it_and_keeps_the_app(tmp_path: Path) -> None:
    """赵敏's screen open; a symbolic link appears in `.kehu/` (a sync or `git add -f` brought
    it), then the user saves a purchase. The save told the screens, her values and the list's
    were computed again on a fresh store, which refused the link (a StoreError that says what to
    do), and Textual's worker ended the app in a WorkerFailed traceback. The notice says it, her
    card says her values were not computed, the app goes on."""
    from kehu_tui.app import KehuApp
    from kehu_tui.screens.customer import CustomerScreen
    from kehu_tui.screens.interaction import AddInteractionScreen
    from kehu_tui.widgets.customer.values import ValuesCard

    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}])
    cid = next(iter(store.iter_customer_ids()))
    add_interaction(store, cid, kind="purchase", date=TODAY - dt.timedelta(days=3),
                    items=[{"name": "龙井", "price": 128}])
    app = KehuApp(store, today=TODAY, watch_interval=0)
    said: list[str] = []
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await open_customer(pilot, "赵敏", showing="Tier")
        (store.root / ".kehu" / "stray").symlink_to(tmp_path)
        await pilot.press("p")  # then she sells 赵敏 a tea: the save tells every screen
        await wait_until(pilot, lambda: isinstance(app.screen, AddInteractionScreen), what="the form")
        app.screen.query_one("#row-item").value = "龙井"  # type: ignore[attr-defined]
        app.screen.query_one("#row-price").value = "128"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")

        def shown() -> bool:
            said.extend(n.message for n in app._notifications)  # every notice, also those gone by
            return any("symbolic link" in m for m in said)

        await wait_until(pilot, shown, what="the notice")
        for _ in range(10):
            await pilot.pause(0.1)
        assert app.is_running and app.return_code is None
        assert isinstance(app.screen, CustomerScreen)
        card: Any = app.screen.query_one(ValuesCard)
        assert "computing" not in str(card.render())
    assert app.return_code is None


@pytest.mark.asyncio
async def test_a_broken_interaction_file_is_said_once_as_the_customer_opens(tmp_path: Path) -> None:
    """赵敏's purchase file replaced by a FIFO: opening her said "is a FIFO" three times (her
    screen loaded, then loaded again for each look of the watcher, each saying it anew). Said
    once; `r` (asked for) says it again."""
    import os

    from kehu_tui.app import KehuApp

    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}])
    cid = next(iter(store.iter_customer_ids()))
    add_interaction(store, cid, kind="purchase", date=TODAY - dt.timedelta(days=3),
                    items=[{"name": "龙井", "price": 128}])
    for record in (store.customer_dir(cid) / "interactions").iterdir():
        record.unlink()
        os.mkfifo(record)
    app = KehuApp(store, today=TODAY, watch_interval=0.5)

    def said() -> int:
        return sum("is a FIFO" in n.message for n in app._notifications)

    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await open_customer(pilot, "赵敏")
        await wait_until(pilot, lambda: said() >= 1, what="the notice")
        for _ in range(30):  # the watcher looks a few times
            await pilot.pause(0.1)
        assert said() == 1
        await pilot.press("r")
        await wait_until(pilot, lambda: said() == 2, what="the notice said again")


@pytest.mark.asyncio
@pytest.mark.parametrize("query", ["\x00", "\x00赵"], ids=["NUL", "NUL then a name"])
async def test_a_search_holding_nul_finds_nobody_and_enter_opens_nobody(tmp_path: Path, query: str) -> None:
    """A NUL typed or pasted into the list's search: SQLite's LIKE ends a pattern at NUL, so
    "%\\0%" matched every customer ("2 found"), and Enter opened the first row, a customer the
    user never searched for. No record holds a NUL: nobody is found, as `kehu search` finds
    nobody for a control character, and Enter opens nothing."""
    from kehu_tui.app import KehuApp
    from kehu_tui.screens.customers import CustomersScreen

    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}, {"name": "钱多"}])
    app = KehuApp(store, today=TODAY, watch_interval=0)
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: "赵敏" in screen_text(app), what="the list")
        await pilot.press("slash")
        await pilot.pause()
        app.screen.query_one("#search").value = query  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: "0 found" in screen_text(app), what="nobody found")
        await pilot.press("enter")
        for _ in range(5):
            await pilot.pause(0.1)
        assert isinstance(app.screen, CustomersScreen)
