"""The twenty-third round, tuiend: the open TUI following what changes under it (kehu.yaml read
again, the index damaged under the watcher)."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from kehu_core.testing import make_store, screen_text, wait_until

from .test_hostile_twentyfirst_twentyfirstc import her_tier_renamed, settings_changed
from .test_hostile_twentythird_tuidmg import background_held


@contextlib.asynccontextmanager
async def _rebuilding_after_a_broken_page(
        tmp_path: Path, settings: dict,
        then: Callable[[Any, Any], Awaitable[None]] | None = None) -> AsyncIterator[tuple[Any, Any, Any]]:
    """150 customers, the TUI open on them and done with its first looks; the app's background
    worker held busy, the index page listing the record files broken, and the list saying
    "rebuilding the index…": the block runs then (the app, its pilot, the store). After it, the
    worker released, every customer is listed again (or ``then(app, pilot)`` is awaited, for
    a block that left the list) and the app still runs."""
    from kehu_tui.app import KehuApp

    customers = [{"name": f"客户{n:03d}"} for n in range(150)]
    store = make_store(tmp_path / "store", today="2026-11-20", customers=customers, settings=settings)
    app = KehuApp(store, watch_interval=0.1)
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: "客户000" in screen_text(app), what="the list")
        await pilot.pause(1.5)  # the app's first looks at the store are done
        async with background_held(app, pilot):
            await _break_a_page(store.root / ".kehu" / "index.sqlite")
            await wait_until(pilot, lambda: "rebuilding the index" in screen_text(app),
                             what="the list saying the index is being made again")
            yield app, pilot, store
        if then is not None:
            await then(app, pilot)
        else:
            await wait_until(pilot, lambda: "150 customers" in screen_text(app), what="the customers listed again")
    assert app.return_code is None


@pytest.mark.asyncio
async def test_the_tier_filters_suggestions_follow_kehu_yaml_read_again(tmp_path: Path) -> None:
    """A colleague renamed a tier in kehu.yaml and a `kehu sync` in another terminal pulled it:
    the open TUI read the settings again and the list showed the new name, but the filter bar's
    tier field still suggested the old names (made once, when the bar was composed), and the
    new name typed was not completed. The suggestions follow the settings read again."""
    from textual.widgets import Input

    async with her_tier_renamed(tmp_path) as (app, pilot, _store):
        await pilot.press("f")
        tier = app.screen.query_one("#filter-tier", Input)
        tier.focus()
        await pilot.press("金")
        await pilot.pause(0.3)  # the suggestion is looked up by a worker of the field's
        await pilot.press("right")  # takes the suggestion, as a user completes the name
        await wait_until(pilot, lambda: tier.value == "金牌客户", what=f"金 completed (the field says {tier.value!r})")
        tier.value = ""
        await pilot.press("铜")
        await pilot.pause(0.3)
        await pilot.press("right")
        await pilot.pause(0.3)
        assert tier.value == "铜", "the old name is no longer suggested"
    assert app.return_code is None


async def _break_a_page(index: Path) -> None:
    """The page holding the index's list of record files broken in place by another process (a
    disk or a tool gone wrong): the file still opens (its header and version are whole), and
    "database disk image is malformed" is met in the middle of a read. The app runs on meanwhile
    (the tool is awaited on a thread): a look of the app's that waits on the screen while it
    reads would otherwise hold the log until the tool gave up."""
    script = (f"import pathlib, sqlite3, time; p = pathlib.Path({str(index)!r})\n"
              "db = sqlite3.connect(p)\n"
              # the app's own looks (its watcher, every 0.1 s) read the index now and then, and a
              # read under way keeps the log from being folded in: tried again, up to 60 s, as
              # such a tool would; a reader that never lets go still fails it
              "end = time.monotonic() + 60\n"
              "fold = 'PRAGMA wal_checkpoint(TRUNCATE)'\n"
              "while (busy := db.execute(fold).fetchone()[0]) and time.monotonic() < end:\n"
              "    time.sleep(0.05)\n"
              "assert busy == 0, 'the log not folded in'\n"
              "size = db.execute('PRAGMA page_size').fetchone()[0]\n"
              "page = db.execute(\"SELECT rootpage FROM sqlite_master WHERE name='files'\").fetchone()[0]\n"
              "db.close()\n"
              "with open(p, 'r+b') as f:\n"
              "    f.seek((page - 1) * size); f.write(b'broken page ' * (size // 12))\n")
    await asyncio.to_thread(subprocess.run, [sys.executable, "-c", script], check=True)


@pytest.mark.asyncio
async def test_the_watchers_own_index_meeting_damage_does_not_rebuild_on_its_thread(tmp_path: Path) -> None:
    """A page of `.kehu/index.sqlite` broken under the open app, nothing pressed: the watcher's
    look (on a thread of its own, with an index of its own) met "database disk image is
    malformed" in the middle of its read, and that index made the file anew and filled it from
    every record on the watcher's thread: minutes at 100 000 customers, beside the app's own
    rebuild, and quitting the app waited for it (Python waits for a worker thread at exit).
    The watcher's index hands the filling over as the screen's does: the look finds every file
    changed and they are read on the background thread (here held busy), the list saying
    "rebuilding the index…", and every customer listed again when it is done."""
    async with _rebuilding_after_a_broken_page(tmp_path, {}):
        pass  # the list said so, and every customer is listed again after


@pytest.mark.asyncio
async def test_the_merge_notice_does_not_fill_the_index_beside_the_apps_rebuild(tmp_path: Path) -> None:
    """The index being made again after damage (on the background thread, here held busy) when
    kehu.yaml changed (a `kehu sync` in another terminal): the app read the settings again and
    looked for a merge waiting for the user, on a thread of its own whose store opened the index
    and refreshed it, filling the file made anew from every record beside the app's rebuild
    (minutes at 100 000 customers, and quitting waited for that thread). The notice reads the
    index as the app keeps it; the rebuild fills it once, and every customer is listed after."""
    from kehu_core.index import Index

    settings = {"tiering": {"pyramid": {"shares": [1.0], "names": ["铜牌客户"]}}}
    async with _rebuilding_after_a_broken_page(tmp_path, settings) as (app, pilot, store):
        settings_changed(store.root, "铜牌客户", "金牌客户")
        await wait_until(pilot, lambda: any("read again" in str(n.message) for n in app._notifications),
                         what="kehu.yaml read again")
        await wait_until(pilot, lambda: not any(w.group == "merge" and not w.is_finished for w in app.workers),
                         what="the merge notice's look done")
        index = Index(store)
        try:
            assert index.count() == 0, "the index filled beside the app's rebuild, which still waits"
        finally:
            index.close()
