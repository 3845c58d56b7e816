"""The twenty-second round (tuiidx, 2026-12-07, issue 16): the TUI meets a damaged index. Each
test failed on the code before its fix. See docs/reliability.md."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from kehu_core.testing import make_store, screen_text, wait_until

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

