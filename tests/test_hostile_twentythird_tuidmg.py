"""The twenty-third round (tuidmg, 2026-12-07, issue 16): the TUI after its index was damaged or
rebuilt under it, and kehu.yaml read again. Each test failed on the code before its fix. See
docs/reliability.md."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kehu_core import hookimpl
from kehu_core.plugins import Column, Panel
from kehu_core.testing import make_store, screen_text, wait_until

from .conftest import kehu_subprocess
from .test_hostile_twentyfirst_twentyfirstc import settings_changed
from .test_hostile_twentysecond_tuiidx import overwrite

TODAY = dt.date(2026, 11, 20)


@contextlib.asynccontextmanager
async def background_held(app: Any, pilot: Any) -> AsyncIterator[None]:
    """The app's background worker held busy (a job waiting on a gate) while the block runs, as
    a rebuild at 100 000 customers holds it: what the screen hands it waits. Released, and that
    job done, after the block. Never let go before: a gate that gave up after 30 s let the
    rebuild run in the middle of a block slowed down by a loaded machine (CI), and the block
    found the index filled. The block's end always opens it (``finally``); the thread is a daemon."""
    gate = threading.Event()
    busy = asyncio.ensure_future(app.background.run(lambda _store: gate.wait()))
    await pilot.pause(0.3)
    try:
        yield
    finally:
        gate.set()
        await busy


def _index(store: Any) -> Path:
    return store.root / ".kehu" / "index.sqlite"


@pytest.mark.asyncio
async def test_a_plugins_values_read_from_a_damaged_index_mend_it_not_blame_the_plugin(tmp_path: Path) -> None:
    """The list open, `.kehu/index.sqlite` overwritten with junk (its log removed), a customer
    opened: the reminders plugin read its kept next reminders (``index.plugin_table``) from the
    damaged file, and the app said "plugin 'reminders' failed: DatabaseError: database disk
    image is malformed", the customer's values not computed, the index left damaged. A plugin's
    table is read through the index, mended where it is met as the index's own reads are."""
    from kehu_tui.app import KehuApp

    customers = [{"name": f"客户{n:03d}"} for n in range(60)]
    store = make_store(tmp_path / "store", today=TODAY, customers=customers)
    app = KehuApp(store, today=TODAY, watch_interval=60)  # no look of the watcher meanwhile
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: "keep in touch" in screen_text(app), what="the list's values")
        await pilot.pause(0.5)
        overwrite(_index(store), log_left=False)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Next reminder" in screen_text(app) or "failed" in screen_text(app),
                         what="the customer's values")
        await pilot.pause(0.5)
        assert "failed" not in screen_text(app) and "malformed" not in screen_text(app)
        assert "keep in touch" in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: "60 customers" in screen_text(app), what="the customers listed again")
    assert app.return_code is None


_TABLES: dict[int, Any] = {}  # the plugin's tables, by store


class _Kept:
    """A plugin panel whose text goes through a plugin table it keeps (made once per store, as a
    plugin may well do), written and read back."""

    @hookimpl
    def tui_panels(self, store: Any) -> Any:
        return [Panel("Kept", self._text)]

    def _text(self, store: Any, customer: Any) -> str:
        table = _TABLES.get(id(store))
        if table is None:
            table = _TABLES[id(store)] = store.index.plugin_table("kept", "names", ("name",))
        stamp = store.index.generation()
        table.put(stamp, {customer.id: (f"kept for {customer.name}",)})
        return ((table.get(stamp, [customer.id]) or {}).get(customer.id) or ("not kept",))[0]


@pytest.mark.asyncio
async def test_a_plugin_table_kept_across_a_rebuild_reads_the_new_file(tmp_path: Path) -> None:
    """A plugin that kept its ``PluginTable`` (``store.index.plugin_table``) across a rebuild of
    the index (`kehu reindex --rebuild` in another terminal, or the file made anew after damage)
    read through the connection closed with the old file: its panel said "plugin panel failed:
    Cannot operate on a closed database" for every customer opened after. The table reads the
    index's connection as it is now."""
    from kehu_tui.app import KehuApp

    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}, {"name": "王芳"}],
                       plugins={"kept": _Kept()})
    app = KehuApp(store, today=TODAY, watch_interval=0.1)
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: "赵敏" in screen_text(app), what="the list")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "kept for 王芳" in screen_text(app), what="the plugin's panel")
        await pilot.press("escape")
        opened = store.index.db
        rebuilt = kehu_subprocess("reindex", "--rebuild", store=store.root)
        assert rebuilt.returncode == 0, rebuilt.stderr
        profile = next(p for p in store.root.rglob("customer.yaml") if "赵敏" in p.read_text(encoding="utf-8"))
        profile.write_text(profile.read_text(encoding="utf-8").replace("赵敏", "赵敏敏"), encoding="utf-8")
        await wait_until(pilot, lambda: "赵敏敏" in screen_text(app), what="the change seen")
        assert store.index.db is not opened  # the app reads the file made anew
        await pilot.press("enter")
        await wait_until(pilot, lambda: "kept for" in screen_text(app) or "failed" in screen_text(app),
                         what="the plugin's panel")
        assert "failed" not in screen_text(app) and "closed database" not in screen_text(app)
    assert app.return_code is None


@pytest.mark.asyncio
async def test_the_screen_does_not_wait_for_the_index_made_again_after_damage(tmp_path: Path) -> None:
    """`.kehu/index.sqlite` overwritten with junk under the open list, then the list sorted: the
    index was made again from the records on the screen's thread, before the sort's read was
    answered, so with 100 000 customers the app stood still for the whole rebuild. It is filled on
    the background thread (here held busy, as a long job of its own would): the list says
    "rebuilding the index…", keys are answered meanwhile, and the customers are listed again,
    in the order asked for, when it is done."""

    from kehu_tui.app import KehuApp

    owners = ["李强", "王芳", "陈静", "刘洋"]
    customers = [{"name": f"客户{n:03d}", "owner": owners[n % 4], "tags": [f"t{n % 7}"]} for n in range(120)]
    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}, *customers])
    app = KehuApp(store, today=TODAY, watch_interval=60)
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: "客户000" in screen_text(app), what="the list")
        async with background_held(app, pilot):
            overwrite(_index(store), log_left=False)
            await pilot.press("s", "s")
            await wait_until(pilot, lambda: "rebuilding the index" in screen_text(app),
                             what="the list saying the index is being made again")
            await pilot.press("slash", *"赵敏")  # answered from the index as it is meanwhile
            await wait_until(pilot, lambda: "赵敏" in screen_text(app), what="the search typed")
            assert "rebuilding the index" in screen_text(app) and "客户000" not in screen_text(app)
            await pilot.press("escape")
        await wait_until(pilot, lambda: "121 customers" in screen_text(app)
                         and "sorted by last contact" in screen_text(app), what="the customers listed again")
        await pilot.press("slash", *"赵敏")
        await wait_until(pilot, lambda: "1 found" in screen_text(app), what="赵敏 found")
    assert app.return_code is None


class _Labelled:
    """A plugin whose column's title is a setting of its own in kehu.yaml."""

    @hookimpl
    def tui_columns(self, store: Any) -> Any:
        title = str(store.config.plugins.settings_for("labelled").get("title", "?"))
        return [Column(title=title, value=lambda s, c: f"@{c.name}", key="label")]


@pytest.mark.asyncio
async def test_a_column_whose_title_changed_in_kehu_yaml_read_again_is_relabelled(tmp_path: Path) -> None:
    """A colleague renamed a plugin's column (its title a setting in kehu.yaml, its key the same)
    and a `kehu sync` in another terminal pulled it: the open TUI read the settings again and
    asked the plugin for its columns, but the list kept the old title over the column, the
    columns being made anew only when their keys changed. The column is relabelled."""
    from kehu_tui.app import KehuApp

    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}],
                       plugins={"labelled": _Labelled()}, settings={"labelled": {"title": "微信号"}})
    app = KehuApp(store, today=TODAY, watch_interval=0.1)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: "@赵敏" in screen_text(app), what="the list")
        await pilot.pause(1.0)  # the app's first looks at the store are done
        assert "微信号" in screen_text(app)
        settings_changed(store.root, "title: 微信号", "title: 企业微信")
        await wait_until(pilot, lambda: "企业微信" in screen_text(app), what="the column relabelled")
        assert "微信号" not in screen_text(app).replace("企业微信", "") and "@赵敏" in screen_text(app)
    assert app.return_code is None


@pytest.mark.asyncio
async def test_the_watchers_look_at_an_index_made_anew_is_read_in_the_background(tmp_path: Path) -> None:
    """`.kehu/index.sqlite` overwritten with junk under the open app, nothing pressed: the
    watcher's next look opened the index, which was made anew empty, found every record file
    changed, and the screen's thread read them all before it answered a key (the whole
    rebuild, minutes with 100 000 customers, as the sort's read did). So many files are read on
    the background thread (here held busy): the list says "rebuilding the index…" meanwhile,
    and lists every customer again when it is done."""

    from kehu_tui.app import KehuApp

    customers = [{"name": f"客户{n:03d}"} for n in range(150)]
    store = make_store(tmp_path / "store", today=TODAY, customers=customers)
    app = KehuApp(store, today=TODAY, watch_interval=0.1)
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: "客户000" in screen_text(app), what="the list")
        await pilot.pause(1.0)  # the app's first looks at the store are done
        async with background_held(app, pilot):
            overwrite(_index(store), log_left=False)
            await wait_until(pilot, lambda: "rebuilding the index" in screen_text(app),
                             what="the list saying the index is being made again")
        await wait_until(pilot, lambda: "150 customers" in screen_text(app), what="the customers listed again")
    assert app.return_code is None
