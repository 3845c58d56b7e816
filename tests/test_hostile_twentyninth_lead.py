"""The twenty-ninth round's lead findings (issue 16): each test failed before its fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kehu_core.testing import make_store

from .pluginutil import installed_plugin

#: a plugin timing out a call to its gateway with SIGALRM and never cancelling the timer, asked
#: first (``tryfirst``), so the timer runs on into the next plugin's code
ALARM_FIRST = '''
import signal

from kehu_core.hookspecs import hookimpl


class SdkTimeout(Exception):
    pass


def _no_answer(signum, frame):
    raise SdkTimeout("the SMS gateway did not answer in time")


@hookimpl(tryfirst=True)
def interaction_saved(store, customer, interaction):
    {handler}
    signal.setitimer(signal.ITIMER_REAL, 0.02)
'''

#: a plugin whose work for a sale takes a while (a call to a slow service), asked last
SLOW_LAST = '''
import time

from kehu_core.hookspecs import hookimpl


@hookimpl(trylast=True)
def interaction_saved(store, customer, interaction):
    time.sleep(0.3)
'''


@pytest.mark.parametrize("handler", ["signal.signal(signal.SIGALRM, _no_answer)", "pass"])
def test_a_plugins_timer_left_running_never_goes_off_in_the_next_plugins_hook(tmp_path: Path, handler: str) -> None:
    """The timer a plugin left running was stopped only once every plugin's ``interaction_saved``
    had run: under load (or beside a plugin whose hook takes a while) it went off in the next
    plugin's hook, and that plugin was said to have failed ("plugin 'slow' failed in
    interaction_saved: SdkTimeout"), or, with Python's handler, the process was killed ("Alarm
    clock", exit 142). It is stopped as the plugin's own hook returns."""
    site = installed_plugin(tmp_path / "site", "alarm_first", "alarm", ALARM_FIRST.replace("{handler}", handler))
    installed_plugin(site, "slow_last", "slow", SLOW_LAST)
    store = make_store(tmp_path / "store")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path]),
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    sheet = tmp_path / "sales.csv"
    sheet.write_text("name,phone,product,amount,date\n王芳,13800138000,龙井,100,2026-11-01\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store.root), "--today", "2026-11-20",
                             "import", str(sheet)], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result
    assert "1 created" in result.stdout, result
    assert "failed" not in result.stderr and "SdkTimeout" not in result.stderr, result.stderr


# --- kind 5: a background fetch after a force-push was said is no answer ---------------------------


def test_a_background_fetch_after_a_force_push_was_said_does_not_push_the_commits_back(tmp_path: Path) -> None:
    """The sync stopped at a force-push and said how to answer; the answer "a mistake: push them
    back" was a `git fetch` before the next `kehu sync`, so an editor's background fetch (or a
    fetch made to look) was taken for it, and the next sync pushed the taken-out commit back to
    the team, exit 0. The answer is now said, never inferred: `kehu sync --push-back`."""
    from .conftest import git, kehu
    from .test_hostile_twentyseventh_gitedges import force_push_taking_out_one, pushed_back

    a, _b = force_push_taking_out_one(tmp_path)
    remote = git(tmp_path / "remote.git", "rev-parse", "HEAD")
    told = kehu("sync", store=a)
    assert told.code == 1 and "kehu sync --push-back" in told.err, told.out + told.err
    git(a, "fetch", "-q")  # the editor's background fetch, after the refusal
    again = kehu("sync", store=a)
    assert again.code == 1 and "origin/master was rewritten" in again.err, again.out + again.err
    assert git(tmp_path / "remote.git", "rev-parse", "HEAD") == remote
    pushed_back(tmp_path, a)  # the person's answer
