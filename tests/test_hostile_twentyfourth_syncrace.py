"""Issue 16, the twenty-fourth round (syncrace), kinds 5 and 10: a sync killed at the moment it
started git's merge, git syncs inside a team, with real clones of a real bare remote."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .conftest import git, kehu
from .test_hostile_eighteenth_eighteentha import _b_adds_two_with_a_filter_on_the_second, _filter_off
from .test_hostile_git import team  # noqa: F401 (team: a fixture)
from .test_team_merge import remote  # noqa: F401 (remote: a fixture)


def test_a_sync_killed_as_it_started_gits_merge_leaves_that_gits_lock_until_it_ends(
        team: tuple[Path, Path, str], remote: Path, tmp_path: Path) -> None:  # noqa: F811
    """kehu killed (`kill -9`, the OOM killer) just after it started git's merge, its git going
    on alone and holding index.lock while it writes the colleague's files. kehu noted the id of
    each git once git had started: killed before it wrote it (or while it did, an empty note,
    which a loaded machine made happen now and then in the killed-sync tests), the note named the
    sync's previous git, long ended, and the next command took the running merge's lock for a dead
    one's: removed it and reset the clone under that git (or failed "could not be put back").
    Now the process that becomes git writes its own id before it runs: the next command says a
    git is working and leaves the lock; once that git has ended, the clone is put back whole."""
    a, b, _cid = team
    go = tmp_path / "go"
    # git's filter on b's second file holds the merge (and its lock) until the test says go
    _b_adds_two_with_a_filter_on_the_second(
        a, b, tmp_path / "smudge-waits", f'#!/bin/sh\nwhile [ ! -e {go} ]; do sleep 0.05; done\ncat\n')
    # the moment: kehu killed right after it started git's merge, before that git did anything
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "git").write_text(f'#!/bin/sh\nif [ "$1" = merge ]; then kill -KILL "$PPID"; '
                              f'exec {shutil.which("git")} "$@" >/dev/null 2>&1; fi\n'
                              f'exec {shutil.which("git")} "$@"\n', encoding="utf-8")
    (shim / "git").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}"}
    killed = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(a), "sync"],
                            capture_output=True, text=True, env=env, check=False)
    assert killed.returncode == -9, (killed.stdout, killed.stderr)
    lock = a / ".git" / "index.lock"
    for _ in range(200):  # the orphaned merge takes its lock
        if lock.exists():
            break
        time.sleep(0.05)
    try:
        waiting = kehu("check", store=a)
        assert "a git command is working in this clone now" in waiting.err, waiting.err
        assert lock.exists()
    finally:
        go.touch()
    for _ in range(600):  # the killed sync's git finishes its merge alone
        if not lock.exists():
            break
        time.sleep(0.1)
    _filter_off(a)
    checked = kehu("check", store=a)
    assert checked.code == 0, checked.err
    assert not lock.exists()
    assert git(a, "status", "--porcelain", "--untracked-files=all") == ""
