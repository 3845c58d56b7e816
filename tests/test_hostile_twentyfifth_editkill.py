"""The twenty-fifth round (issue 16, helper editkill): commands killed midway, and plugins'
results. Each test failed on the code before its fix."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kehu_core.store import open_store

from .pluginutil import add_customer, installed_plugin

#: a plugin that kills kehu (SIGKILL) once, at the step of `kehu edit` the store's file
#: `kill-at` names: "saving" (the store's lock taken, the edited record not written yet) or
#: "saved" (the edited record written, the command not done)
_KILLER = '''
import fcntl, os, signal, threading, time
from pathlib import Path
from kehu_core import hookimpl


def _once(store):
    marks = store.root / ".kehu" / "killed"
    if marks.exists():
        return False
    marks.write_text("x")
    return True


def _locked(store):
    with open(store.root / ".kehu" / "lock") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
    return False


def _at(store):
    try:
        return (store.root / "kill-at").read_text().strip()
    except OSError:
        return ""


def _when_written(path):
    while "李四" not in path.read_text():
        time.sleep(0.0002)
    os.kill(os.getpid(), signal.SIGKILL)


@hookimpl
def validate_customer(store, customer):
    if customer.name == "李四" and _locked(store) and _once(store):
        if _at(store) == "saving":
            os.kill(os.getpid(), signal.SIGKILL)
        if _at(store) == "saved":  # killed as soon as the record is written
            threading.Thread(target=_when_written, args=(store.customer_file(customer.id),), daemon=True).start()
    return None
'''


def _edit(store: Path, cid: str, editor: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("VISUAL", "EDITOR", "KEHU_EDITOR_NO_TTY")}
    return subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store), "edit", cid],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
                          env={**environment, **env, "EDITOR": str(editor)})


def _script(path: Path, text: str) -> Path:
    path.write_text("#!/bin/sh\n" + text, encoding="utf-8")
    path.chmod(0o755)
    return path


def _copies(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.glob("kehu-edit-*")]


@pytest.mark.parametrize("inside", [True, False], ids=["TMPDIR in the store", "TMPDIR elsewhere"])
@pytest.mark.parametrize("step", ["editor opening SIGKILL", "editor open SIGKILL", "editor open SIGHUP",
                                  "editor open SIGTERM", "saving", "saved"])
def test_an_edit_killed_at_any_step_leaves_the_record_whole_and_its_copy_goes(
        store_path: Path, tmp_path: Path, step: str, inside: bool) -> None:
    """`kehu edit` killed — SIGKILL, or a closed terminal's SIGHUP, or SIGTERM — as its editor
    opens, while it is open, while the edit is saved (the store's lock taken) or once it is
    written: the copy of the record (`.kehu/kehu-edit-…` when TMPDIR is in the store, else in
    the temp folder; confidential values in plain) stayed for good, every edit killed adding
    one. The record is as it was or as edited, never half; `kehu check` and `git status` see
    no copy; and the next `kehu edit` removes the copies of edits no longer running."""
    cid = add_customer(store_path, "张三")
    temp = store_path / ".kehu" if inside else tmp_path / "tmp"
    temp.mkdir(exist_ok=True)
    site = installed_plugin(tmp_path / "site", "kehu_killer", "killer", _KILLER)
    env = {"TMPDIR": str(temp), "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    if step.startswith("editor"):
        kill = step.split()[-1]
        change = "" if "opening" in step else "sed -i 's/^name: .*/name: 李四/' \"$1\"\n"
        editor = _script(tmp_path / "killed.sh", f"{change}kill -{kill.removeprefix('SIG')} $PPID\nsleep 5\n")
        expected = -getattr(signal, kill)
    else:
        (store_path / "kill-at").write_text(step, encoding="utf-8")
        editor = _script(tmp_path / "killed.sh", "sed -i 's/^name: .*/name: 李四/' \"$1\"\n")
        expected = -signal.SIGKILL
    killed = _edit(store_path, cid, editor, env)
    assert killed.returncode == expected, (killed.returncode, killed.stderr)
    (store_path / "kill-at").unlink(missing_ok=True)
    name = open_store(store_path).get(cid).name
    assert name == ("李四" if step == "saved" else "张三"), name
    check = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store_path), "check"],
                           capture_output=True, text=True, env={**os.environ, **env})
    assert check.returncode == 0 and "kehu-edit" not in check.stdout + check.stderr, check.stdout + check.stderr
    status = subprocess.run(["git", "-C", str(store_path), "status", "--porcelain", "--untracked-files=all"],
                            capture_output=True, text=True, check=True).stdout
    assert "kehu-edit" not in status and "kill-at" not in status, status

    again = _edit(store_path, cid, _script(tmp_path / "ok.sh", "sed -i 's/^name: .*/name: 王五/' \"$1\"\n"), env)
    assert again.returncode == 0, again.stderr
    assert open_store(store_path).get(cid).name == "王五"
    assert _copies(temp, store_path / ".kehu") == [], _copies(temp, store_path / ".kehu")


def test_a_copy_kehu_said_it_kept_is_not_removed_by_the_next_edit(store_path: Path, tmp_path: Path) -> None:
    """An edit whose editor exits 1 keeps the user's text and says where: the next edit, which
    removes the copies of killed edits, leaves that one."""
    cid = add_customer(store_path, "张三")
    env = {"TMPDIR": str(store_path / ".kehu")}
    failed = _edit(store_path, cid, _script(tmp_path / "fail.sh", "sed -i 's/^name: .*/name: 李四/' \"$1\"\nexit 1\n"),
                   env)
    assert failed.returncode == 1 and "your text is kept in" in failed.stderr, failed.stderr
    kept = Path(failed.stderr.split("your text is kept in", 1)[1].strip())
    assert "李四" in kept.read_text(encoding="utf-8")
    again = _edit(store_path, cid, _script(tmp_path / "ok.sh", "sed -i 's/^name: .*/name: 王五/' \"$1\"\n"), env)
    assert again.returncode == 0, again.stderr
    assert "李四" in kept.read_text(encoding="utf-8")
