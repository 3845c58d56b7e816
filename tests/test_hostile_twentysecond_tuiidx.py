"""The twenty-second round (tuiidx, 2026-12-07, issue 16): the TUI meets a damaged index. Each
test failed on the code before its fix. See docs/reliability.md."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kehu_core import hookimpl
from kehu_core.plugins import Column
from kehu_core.testing import make_store, screen_text, wait_until

from .test_hostile_twentyfirst_twentyfirstc import settings_changed

TODAY = dt.date(2026, 11, 20)


def overwrite(path: Path, *, log_left: bool) -> None:
    """``path`` overwritten in place by another process (a plain open and close here would drop
    this process's SQLite locks on it: not what a user's `cp` or full disk does)."""
    script = (f"import pathlib; p = pathlib.Path({str(path)!r})\n"
              f"for s in ([] if {log_left} else ['-wal', '-shm']): pathlib.Path(str(p) + s).unlink(missing_ok=True)\n"
              "p.write_bytes(b'garbage, not SQLite\\n' * 100)\n")
    subprocess.run([sys.executable, "-c", script], check=True)


@pytest.mark.asyncio
@pytest.mark.parametrize("log_left", [True, False], ids=["log-left", "log-removed"])
async def test_an_index_overwritten_under_the_open_app_is_rebuilt_not_a_traceback(
        tmp_path: Path, log_left: bool) -> None:
    """The list open; `.kehu/index.sqlite` overwritten with junk (a full disk, a tool gone
    wrong), its log and shared memory left or removed; the user sorts the list (`s`), before
    the watcher's next look. The list's reload read the index on the screen's thread, met
    "database disk image is malformed" and the app ended in a traceback. The index is derived
    data: it is made again from the records where it is met, as `kehu customer list` does,
    and the customers are listed, in the order asked for."""
    from kehu_tui.app import KehuApp

    owners = ["李强", "王芳", "陈静", "刘洋"]
    customers = [{"name": f"客户{n:03d}", "owner": owners[n % 4], "tags": [f"t{n % 7}"]} for n in range(120)]
    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}, *customers])
    app = KehuApp(store, today=TODAY, watch_interval=60)  # no look of the watcher meanwhile
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: "客户000" in screen_text(app), what="the list")
        overwrite(store.root / ".kehu" / "index.sqlite", log_left=log_left)
        await pilot.press("s", "s")  # sorted by another column, then another: reloaded twice
        for _ in range(10):
            await pilot.pause(0.1)
        assert app.is_running and app.return_code is None
        await wait_until(pilot, lambda: "121 customers" in screen_text(app) and "sorted by name" not in
                         screen_text(app), what="the customers listed again")
        await pilot.press("slash", *"赵敏")
        await wait_until(pilot, lambda: "1 found" in screen_text(app), what="赵敏 found")
        assert "malformed" not in screen_text(app) and "not a database" not in screen_text(app)
    assert app.return_code is None



class _WeChat:
    """A plugin with a column of its own in the customer list."""

    @hookimpl
    def tui_columns(self, store: Any) -> Any:
        return [Column(title="微信号", value=lambda s, c: f"wx-{c.name}", key="wechat")]


@pytest.mark.asyncio
async def test_the_lists_columns_follow_a_plugin_turned_on_or_off_in_kehu_yaml_read_again(tmp_path: Path) -> None:
    """A colleague turned a plugin with a column of its own on, then off, in kehu.yaml, and a
    `kehu sync` in another terminal pulled it: the open TUI read the settings again, but its
    list kept the columns it had at start (none for the plugin turned on; the one turned off
    kept, its values computed by a plugin no longer enabled). The columns follow the settings."""
    from kehu_tui.app import KehuApp

    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}],
                       plugins={"wechat": _WeChat()}, disabled=["wechat"])
    app = KehuApp(store, today=TODAY, watch_interval=0.1)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: "赵敏" in screen_text(app), what="the list")
        await pilot.pause(1.0)  # the app's first looks at the store are done
        assert "微信号" not in screen_text(app)
        settings_changed(store.root, "disabled:\n  - wechat", "disabled: []")
        await wait_until(pilot, lambda: "微信号" in screen_text(app) and "wx-赵敏" in screen_text(app),
                         what="the column of the plugin turned on")
        settings_changed(store.root, "disabled: []", "disabled: [wechat]")
        await wait_until(pilot, lambda: "微信号" not in screen_text(app), what="its column gone")
        assert "wx-赵敏" not in screen_text(app) and "赵敏" in screen_text(app)
    assert app.return_code is None
