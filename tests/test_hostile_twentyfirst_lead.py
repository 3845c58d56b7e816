"""The twenty-first round, the lead's own (2026-12-07, issue 16): what the helpers found and
left. Each test failed on the code before its fix. See docs/reliability.md."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kehu_core.testing import make_store, open_customer, reopen, run_kehu, screen_text, wait_until

TODAY = dt.date(2026, 11, 20)


@pytest.mark.asyncio
@pytest.mark.parametrize(("typed", "said"), [
    ("订了\x1b年礼", "holds the control character U+001B"),
    ("   ", "say how the visit went"),
], ids=["a control character", "nothing"])
async def test_the_visit_dialog_says_what_is_wrong_in_its_own_words(tmp_path: Path, typed: str, said: str) -> None:
    """The visit outcome dialog (`o`) refused an outcome holding ESC (pasted from a chat) as
    `…/customers/…/interactions/(new):1: text: …`, a file that does not exist, and an empty one
    in the CLI's words, `--outcome: say how the visit went`, an option the TUI has not. It says
    the problem alone, as the purchase form does; nothing is recorded, the dialog stays open."""
    from kehu_tui.app import KehuApp
    from kehu_tui.screens.visit import VisitDoneScreen

    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}])
    cid = next(iter(store.iter_customer_ids()))
    app = KehuApp(store, today=TODAY, watch_interval=0.1)
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await open_customer(pilot, "赵敏")
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, VisitDoneScreen), what="the outcome dialog")
        app.screen.query_one("#visit-outcome").value = typed  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_until(pilot, lambda: said in screen_text(app), what="the refusal")
        shown = screen_text(app)
        assert isinstance(app.screen, VisitDoneScreen)
        assert "(new)" not in shown and "interactions/" not in shown and "--outcome" not in shown, shown
    assert [i for i in reopen(store).interactions(cid) if i.kind == "visit"] == []
    # the CLI names its option as before
    empty = run_kehu(store, "visits", "done", cid, "--outcome", " ")
    assert empty.code == 1 and "--outcome: say how the visit went" in empty.err, empty.err


@pytest.mark.asyncio
async def test_the_watchers_failure_is_said_once_while_it_lasts(tmp_path: Path) -> None:
    """The index replaced by a folder under the open app (a sync, a hand): every look of the
    watcher failed and said "could not scan the store: …" anew, every 2 s for as long as the
    app stayed open (144 notices in 10 s at a 0.1 s look; twentyfirstg found it). Said once
    while the problem stays the same (a look that works forgets it: a later failure is said)."""

    from kehu_tui.app import KehuApp

    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}])
    app = KehuApp(store, today=TODAY, watch_interval=0.1)

    def said() -> int:
        return sum("could not scan the store" in n.message for n in app._notifications)

    index = store.root / ".kehu" / "index.sqlite"
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: "赵敏" in screen_text(app), what="the list")
        store.index.close()
        kept = index.read_bytes()
        index.unlink()
        index.mkdir()
        await wait_until(pilot, lambda: said() >= 1, what="the notice")
        for _ in range(20):  # the watcher looks again and again
            await pilot.pause(0.1)
        assert said() == 1
        assert app.is_running
        index.rmdir()
        index.write_bytes(kept)
    assert app.return_code is None
