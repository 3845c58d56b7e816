"""The twenty-ninth round's clocale findings (issue 16): each test failed before its fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .clocale import c_locale, fine, names
from .conftest import git, kehu
from .pluginutil import installed_plugin


def _customer(store: Path, *args: str) -> str:
    added = kehu("customer", "add", *args, store=store)
    assert added.code == 0, added.err
    return added.out.strip()


def test_chinese_names_inside_the_store_are_read_under_a_c_locale(tmp_path: Path) -> None:
    """Under `LC_ALL=C` with Python's UTF-8 mode off, Python lists each byte past ASCII of a
    name alone: a rep's folder of plans (visits/王芳/), a template (templates/生日祝福.j2), a
    customer's folder of attachments (附件/) or a note beside the profile (备注.txt) were "not
    UTF-8 text" to `kehu check` (so `kehu sync` stopped), `kehu visits plan --owner 王芳` and
    `kehu send --template 生日祝福` ended in "internal error". They read as under any locale;
    a new rep's plan is written under its name in UTF-8, and a name in GBK is still refused."""
    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    zhang = _customer(store, "--name", "张三", "--owner", "王芳", "--email", "z@example.com")
    li = _customer(store, "--name", "李四", "--owner", "王芳")
    assert kehu("visits", "plan", "--owner", "王芳", "--add", zhang, store=store).code == 0
    (store / "templates").mkdir()
    (store / "templates" / "生日祝福.j2").write_text("您好 {{ customer.name }}\n", encoding="utf-8")
    folder = next((store / "customers").glob(f"*/{zhang}"))
    (folder / "附件").mkdir()
    (folder / "附件" / "合同.pdf").write_bytes(b"%PDF-1.4\n")
    (folder / "备注.txt").write_text("老客户\n", encoding="utf-8")

    checked = c_locale(store, "check")
    assert b"no problems" in checked.stderr and fine(checked) == b"", checked.stderr
    assert names("张三", fine(c_locale(store, "visits", "plan", "--owner", "王芳")))
    fine(c_locale(store, "visits", "plan", "--owner", "李娜", "--add", li))
    assert "李娜".encode() in os.listdir(os.fsencode(store / "visits"))
    assert names("您好 张三", fine(c_locale(store, "send", "--segment", "all", "--template", "生日祝福",
                                           "--dry-run")))
    reps = fine(c_locale(store, "report", "reps", "--json"))
    assert names("李娜", reps) and names("王芳", reps), reps
    assert kehu("check", store=store).code == 0  # and the index is as a UTF-8 locale reads it

    # what held: a name in bytes that are not UTF-8 is refused, under either locale
    os.mkdir(os.fsencode(folder) + b"/" + "附件".encode("gbk"))
    done = c_locale(store, "check")
    assert done.returncode == 1 and b"the name is not UTF-8 text" in done.stdout, done.stdout
    assert "the name is not UTF-8 text" in kehu("check", store=store).out


def _committed(clone: Path, message: str, day: str) -> None:
    """Everything in ``clone`` committed by 李四 on ``day`` (git's own commit) and pushed."""
    git(clone, "add", "-A")
    dated = {**os.environ, "GIT_AUTHOR_DATE": f"{day}T10:00:00", "GIT_COMMITTER_DATE": f"{day}T10:00:00"}
    subprocess.run(["git", "-c", "user.name=李四", "-c", "user.email=li@example.com", "commit", "-qm", message],
                   cwd=clone, check=True, env=dated)
    git(clone, "push", "-q", "origin", "HEAD")


def test_git_identities_and_file_names_past_ascii_are_read_from_git(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A clone whose git identity is 张三 <张三@例子.中国>, under `LC_ALL=C PYTHONUTF8=0`: a change
    is committed and pushed under that name, `kehu customer log` and `kehu undo --list` say it.
    One whose identity a Windows tool wrote in GBK: every change ended in "internal error:
    UnicodeDecodeError" (git's identity read in the locale's encoding, strictly), its file
    written and no undo knowing of it; it is now made, and its author shown as git shows such
    bytes. A colleague's commit of a customer's 附件/合同.pdf was no card updated to `kehu report
    reps`, git having quoted its name ("customers/…/\\351\\231…"); it is now one."""
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(name, raising=False)  # each clone's identity is its git settings'
    remote, store, other = tmp_path / "remote.git", tmp_path / "store", tmp_path / "other"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    assert kehu("init", str(store)).code == 0
    git(store, "remote", "add", "origin", str(remote))
    git(store, "config", "user.name", "张三")
    git(store, "config", "user.email", "张三@例子.中国")
    mine = fine(c_locale(store, "customer", "add", "--name", "赵六", "--owner", "李娜")).decode().strip()
    fine(c_locale(store, "sync"))
    assert git(remote, "log", "-1", "--format=%an <%ae>").strip() == "张三 <张三@例子.中国>"
    assert names("张三", fine(c_locale(store, "customer", "log", mine)))
    listed = c_locale(store, "undo", "--list")
    assert names("张三", fine(listed) + listed.stderr)

    # a colleague's customer (November), then the customer's contract (a month later)
    subprocess.run(["git", "clone", "-q", str(remote), str(other)], check=True)
    cid = kehu("--today", "2026-11-02", "customer", "add", "--name", "王五", "--owner", "王芳", store=other).out.strip()
    _committed(other, "王五: new customer", "2026-11-02")
    folder = next((other / "customers").glob(f"*/{cid}"))
    (folder / "附件").mkdir()
    (folder / "附件" / "合同.pdf").write_bytes(b"%PDF-1.4\n")
    _committed(other, "王五的合同", "2026-12-08")
    fine(c_locale(store, "sync"))
    reps = json.loads(fine(c_locale(store, "report", "reps", "--today", "2026-12-08", "--owner", "王芳", "--json")))
    assert [rep["figures"]["cards_updated"]["value"] for rep in reps["reps"]] == [1], reps

    # an identity in GBK bytes (git is given them as they are)
    subprocess.run([b"git", b"config", b"user.name", "张三".encode("gbk")], cwd=store, check=True)
    added = c_locale(store, "customer", "add", "--name", "孙七")
    assert added.returncode == 0 and b"internal error" not in added.stderr, added.stderr
    listed = c_locale(store, "undo", "--list")
    assert b"\\xd5\\xc5\\xc8\\xfd" in listed.stdout + listed.stderr, listed.stdout + listed.stderr


#: a plugin whose SDK quiets the process as it first works: logging off, stderr to nowhere. The
#: TUI asks it for the list's values in its background worker, whose store finds the plugins
#: installed, as `kehu tui`'s does.
_QUIETING = """
import io, logging, sys, threading
from kehu_core import hookimpl

threads = set()

@hookimpl
def customer_values(store, customer):
    threads.add(threading.current_thread().name)
    logging.disable(logging.CRITICAL)
    logging.getLogger("kehu").disabled = True
    sys.stderr = io.StringIO()
    return {"quiet": "ok"}
"""

#: the app on a store of one customer, driven by Pilot in a process of its own (what the plugin
#: does to the process stays there): the list's values asked in the worker, then the customer
#: opened, whose panel (another plugin's) fails; prints the screen
_DRIVER = """
import asyncio, datetime as dt, sys, threading
from pathlib import Path
from kehu_core import hookimpl
from kehu_core.testing import make_store, screen_text, wait_until
from kehu_tui.app import KehuApp
import quieting_kehu

class Failing:
    @hookimpl
    def tui_panels(self, store):
        raise RuntimeError("the panel's service is down")

async def main():
    store = make_store(Path(sys.argv[1]), today=dt.date(2026, 12, 8), customers=[{"name": "赵敏"}],
                       plugins={"failing": Failing()})
    app = KehuApp(store, watch_interval=0)
    asked = lambda: quieting_kehu.threads - {threading.main_thread().name}
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await wait_until(pilot, lambda: "赵敏" in screen_text(app) and bool(asked()), timeout=60,
                         what="the list's values, asked in the worker")
        await pilot.press("enter")
        try:
            await wait_until(pilot, lambda: "the panel's service is down" in screen_text(app), timeout=15)
        finally:
            print(screen_text(app))

asyncio.run(main())
"""


def test_a_plugin_quieting_logging_in_a_tui_worker_leaves_the_apps_failures_said(tmp_path: Path) -> None:
    """A plugin asked for the list's values in the TUI's background worker that quiets logging
    (an SDK's `logging.disable`) and replaces `sys.stderr`: every later plugin failure of the
    session went unsaid (the app hears of them through kehu's logging, and shows them as
    notifications), as `kehu serve`'s log did before 2b4d135c. The app's logging is put back as
    each hook in a worker returns: the next plugin's failure is shown."""
    site = installed_plugin(tmp_path / "site", "quieting_kehu", "quieting", _QUIETING)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", _DRIVER, str(tmp_path / "store")], capture_output=True,
                          text=True, env=env, timeout=300, check=False)
    assert "the list's values" not in done.stderr, done.stderr  # the plugin was asked in the worker
    assert "plugin 'failing' failed" in done.stdout and "the panel's service is down" in done.stdout, (
        done.stdout + done.stderr)
    assert done.returncode == 0, done.stderr
