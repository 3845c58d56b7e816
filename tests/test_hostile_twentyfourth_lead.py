"""The twenty-fourth round, lead: the TUI while its index is made again."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from kehu_core.store import open_store
from kehu_core.testing import make_store, screen_text, wait_until

from .test_hostile_twentythird_tuiend import _rebuilding_after_a_broken_page

if TYPE_CHECKING:
    from kehu_core.store import Store


def _filled(store: object) -> int:
    from kehu_core.index import Index

    index = Index(store)
    try:
        return index.count()
    finally:
        index.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("key, screen", [("d", "dashboard"), ("t", "today")])
async def test_the_dashboard_and_today_wait_for_the_rebuild_not_fill_the_index_beside_it(
        tmp_path: Path, key: str, screen: str) -> None:
    """The index being made again after damage (on the background thread, here held busy, as a
    rebuild at 100 000 customers holds it for minutes), the dashboard or the Today screen
    opened: their thread opened a store of its own on the file made anew, found it empty and
    filled it from every record beside the app's rebuild (the work twice; on a file half filled
    the figures came from part of the customers). They say the index is being made again and
    wait; the rebuild fills the file once, and their figures come after it."""
    settings = {"tiering": {"pyramid": {"shares": [1.0], "names": ["铜牌客户"]}}}

    async def figures_after_it(app: Any, pilot: Any) -> None:
        if screen == "dashboard":
            await wait_until(pilot, lambda: "150 people" in screen_text(app), what="the pyramid after the rebuild")
            assert "铜牌客户" in screen_text(app)
        else:
            await wait_until(pilot, lambda: "today's list" in screen_text(app), what="the reminders after it")
        await wait_until(pilot, lambda: "rebuilding the index" not in screen_text(app), what="every figure in")
        assert _filled(store) == 150

    async with _rebuilding_after_a_broken_page(tmp_path, settings, then=figures_after_it) as (app, pilot, store):
        await pilot.press(key)
        await wait_until(pilot, lambda: "rebuilding the index" in screen_text(app),
                         what=f"the {screen} saying the index is being made again")
        await pilot.pause(1.0)  # what their thread would do meanwhile
        assert _filled(store) == 0, f"the {screen}'s thread filled the index beside the app's rebuild"


MANY = 1500  # customers: three times FILL_FIRST_UP_TO, several seconds of filling at the least


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of MANY customers, made once for this module's tests (each copies it)."""
    from kehu_tui.background import FILL_FIRST_UP_TO

    assert MANY > FILL_FIRST_UP_TO
    store = make_store(tmp_path_factory.mktemp("big") / "store", today="2026-11-20",
                       customers=[{"name": f"客户{n:04d}", "phones": [f"1380013{n:04d}"]} for n in range(MANY)])
    store.index.close()
    return store.root


def _new_clone(big_store: Path, tmp_path: Path, *, half_built: bool = False) -> Store:
    """A copy of the big store without its index (a new clone, or the index deleted), as
    `kehu tui` opens it; ``half_built``: with the index a quit left after part of its first
    build (the rows of half the customers, never filled in full)."""
    root = tmp_path / "clone"
    shutil.copytree(big_store, root)
    for made in (root / ".kehu").glob("index.sqlite*"):
        made.unlink()
    store = open_store(root)
    if half_built:
        from kehu_core.index import Index

        index = Index(store)
        index.refresh_paths(sorted(root.glob("customers/*/*/customer.yaml"))[: MANY // 2])
        index.close()
        store = open_store(root)
    return store


@pytest.mark.asyncio
@pytest.mark.parametrize("half_built", [False, True], ids=["no index", "half built"])
async def test_a_new_clone_of_a_big_store_opens_at_once_and_lists_its_customers_when_filled(
        big_store: Path, tmp_path: Path, half_built: bool) -> None:
    """`kehu tui` in a new clone of a team's store (no `.kehu/index.sqlite` yet, or one deleted):
    the app filled the whole index before it drew anything, the terminal blank for 20 s of CPU
    at 10 000 customers (minutes at 100 000). It opens at once, the list saying the index is
    being made, which the background thread fills; then every customer is listed. The same
    with an index a quit left half built: it listed half the customers as if they were all."""
    from kehu_tui.app import KehuApp

    store = _new_clone(big_store, tmp_path, half_built=half_built)
    app = KehuApp(store, watch_interval=0.1)
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: "rebuilding the index" in screen_text(app), timeout=5,
                         what="the list saying the index is being made")
        assert _filled(store) < MANY, "the screen came after the index was filled"
        assert any("being made from this store's records" in str(n.message) for n in app._notifications), \
            [str(n.message) for n in app._notifications]
        await wait_until(pilot, lambda: f"{MANY} customers" in screen_text(app), timeout=60,
                         what="every customer listed")
        await pilot.press("slash", *"13800130042")
        await wait_until(pilot, lambda: "客户0042" in screen_text(app), what="a customer found by phone")
    assert app.return_code is None


@pytest.mark.asyncio
async def test_quitting_while_the_index_is_made_does_not_wait_for_it(big_store: Path, tmp_path: Path) -> None:
    """`q` pressed while the app made the index (a new clone, damage): the rebuild's end, cut
    short by the quit, started the merge notice's look at the store, which filled the index on
    a thread of its own, and quitting waited for it (115 s at 10 000 customers, the terminal
    given back only then: Python waits for the app's threads as it ends). The quit starts
    nothing more: the app ends at once, the index being filled behind it (the next start goes
    on with it). Here the index's writes wait for another process's (a `kehu` command saving),
    so any filling the quit would wait for shows."""
    from kehu_tui.app import KehuApp

    store = _new_clone(big_store, tmp_path)
    app = KehuApp(store, watch_interval=0.1)
    writer: sqlite3.Connection | None = None

    async def quit_while_filling() -> None:
        nonlocal writer
        async with app.run_test(size=(140, 40), notifications=True) as pilot:
            await wait_until(pilot, lambda: "rebuilding the index" in screen_text(app), timeout=5,
                             what="the list saying the index is being made")
            writer = sqlite3.connect(store.root / ".kehu" / "index.sqlite", isolation_level=None)
            writer.execute("BEGIN IMMEDIATE")  # another process writing: the index's writes wait 30 s
            await pilot.press("q")
        # as `kehu tui` ends (``asyncio.run``): the app's threads are waited for
        await asyncio.get_running_loop().shutdown_default_executor()

    try:
        await asyncio.wait_for(quit_while_filling(), 20)
    except TimeoutError:
        pytest.fail("quitting waited for the index to be filled")
    finally:
        if writer is not None:
            writer.rollback()
            writer.close()
        if app.background._thread is not None:  # the rebuild behind it ends before the next test
            app.background._thread.join(120)
    assert app.return_code == 0


def _in_a_terminal(argv: list[str], cwd: Path) -> tuple[int, str]:
    """``argv`` run with a terminal (a pty) for stdin, stdout and stderr, as a person types it:
    its exit code and everything it drew."""
    import os
    import subprocess

    main, side = os.openpty()
    process = subprocess.Popen(argv, stdin=side, stdout=side, stderr=side, cwd=cwd,
                               env={**os.environ, "COLUMNS": "150", "TERM": "xterm-256color"})
    os.close(side)
    drawn = bytearray()
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the process ended and closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    os.close(main)
    return process.wait(60), drawn.decode("utf-8", "replace")


def test_a_first_command_in_a_new_clone_shows_the_index_being_built_on_a_terminal(
        big_store: Path, tmp_path: Path) -> None:
    """The first command in a new clone of a big store (or after `.kehu/index.sqlite` was
    deleted) read every record into the index before it answered, saying nothing: 32 s at
    10 000 customers here, minutes at 100 000, as if it hung. On a terminal it shows a bar
    while the index is built; in a pipe (scripts, the outside checks) nothing more is said."""
    import subprocess
    import sys

    store = _new_clone(big_store, tmp_path)
    argv = [sys.executable, "-m", "kehu_core", "customer", "list", "--limit", "1"]
    code, drawn = _in_a_terminal(argv, store.root)
    assert code == 0, drawn
    assert "building the index from the records" in drawn, drawn
    assert f"{MANY} customers" in drawn or "1 customer" in drawn, drawn
    for made in (store.root / ".kehu").glob("index.sqlite*"):
        made.unlink()
    piped = subprocess.run(argv, cwd=store.root, capture_output=True, text=True)
    assert piped.returncode == 0, piped.stderr
    assert "building" not in piped.stderr and "\x1b" not in piped.stderr, piped.stderr


@pytest.mark.parametrize("typed", [" 1990-05-01", "1990-05-01 ", "1990-05-01\n", " --05-01 "])
def test_a_birthday_typed_with_spaces_around_is_kept_as_the_day_at_every_door(tmp_path: Path, typed: str) -> None:
    """`kehu customer add --birthday ' 1990-05-01'` (a day pasted with a space) was refused while
    `purchase add --date ' 2026-11-01'` and a sheet's cell ` 1990-05-01 ` were taken: one rule
    for a day at every door. The day alone is kept, as `customer set` and a sheet keep it."""
    from .conftest import kehu

    store = tmp_path / "store"
    assert kehu("init", str(store), "--no-git").code == 0
    kept = typed.strip()
    added = kehu("customer", "add", "--name", "李雷", "--birthday", typed, store=store)
    assert added.code == 0, added.err
    cid = added.out.strip()
    written = next((store / "customers").glob(f"*/{cid}/customer.yaml")).read_text(encoding="utf-8")
    assert f"birthday: '{kept}'" in written or f"birthday: {kept}\n" in written, written
    other = kehu("customer", "add", "--name", "韩梅梅", store=store).out.strip()
    set_ = kehu("customer", "set", other, f"birthday={typed}", store=store)
    assert set_.code == 0, set_.err
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(f"姓名,生日\n王芳,{typed.rstrip(chr(10))}\n", encoding="utf-8")
    assert kehu("import", str(sheet), store=store).code == 0
    shown = json.loads(kehu("customer", "list", "--json", store=store).out)
    assert sorted(c.get("birthday") for c in shown) == [kept, kept, kept], shown
