"""A sync that merged and was then undone leaves the index as the files are (issue 16, kind 5).

kehu sync merges without kehu's index hook and re-reads what the merge changed itself. When the
push then lost the race every time (or was refused) and the sync put the clone back as it was,
the index kept the merged records while the files were gone: the 20-clone simulation listed a
complaint another clone had made, and `kehu complaint ack` on it said "has no record". The
remote here refuses every push as a lost race (a real pre-receive hook), so the sync undoes
itself after its tries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kehu_core.index import freshness
from kehu_core.services.sync import SyncError
from kehu_core.services.sync import sync as sync_store
from kehu_core.store import Store

from .conftest import git, kehu
from .test_hostile_git import team  # noqa: F401 (team: a fixture)
from .test_sync_incremental import _BIG_STORE_KEHU
from .test_team_merge import ok, remote, sync  # noqa: F401 (remote: a fixture)


def _refuse_pushes(remote_path: Path) -> None:
    hook = remote_path / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho ' ! [rejected]        main -> main (fetch first)' >&2\nexit 1\n")
    hook.chmod(0o755)


def _big(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``kehu ARGS`` in its own process as in a big store: past SMALL_STORE_FILES the index
    answers from its own look of the store, without comparing every file."""
    return subprocess.run([sys.executable, "-c", _BIG_STORE_KEHU, "--store", str(store), *args],
                          capture_output=True, text=True, timeout=120)


def test_an_undone_sync_leaves_no_merged_record_in_the_index(
        team: tuple[Path, Path, str], remote: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    a, b, cid = team
    monkeypatch.setattr(freshness, "SMALL_STORE_FILES", 0)
    other = ok("customer", "add", "--name", "乙", "--phone", "13900139000", store=b).strip()
    ok("interaction", "add", other, "--kind", "complaint", "--text", "茶叶受潮", store=b)
    sync(b)
    _refuse_pushes(remote)
    ok("customer", "set", cid, "title=店长", store=a)
    store = Store.open(a)  # two tries (the command makes eight, waiting up to 8 s between them)
    with pytest.raises(SyncError, match="kept changing"):
        sync_store(store, attempts=2)
    store.index.close()
    assert git(a, "status", "--porcelain").strip().endswith("customer.yaml")  # as it was, edit kept
    # every command answers from the files as they are: 乙 and the complaint are not here
    listed = json.loads(_big(a, "customer", "list", "--json").stdout)
    assert [c["id"] for c in listed] == [cid]
    assert _big(a, "customer", "show", other).returncode == 1
    assert json.loads(_big(a, "complaint", "list", "--json").stdout) == []
    assert "店长" in _big(a, "customer", "show", cid).stdout
    (remote / "hooks" / "pre-receive").unlink()
    assert _big(a, "sync").returncode == 0  # and the next sync brings them, once
    assert sorted(c["id"] for c in json.loads(_big(a, "customer", "list", "--json").stdout)) == sorted([cid, other])
    assert len(json.loads(_big(a, "complaint", "list", "--json").stdout)) == 1
    assert kehu("check", store=a).code == 0


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_a_sync_stopped_by_a_signal_while_pushing_leaves_the_clone_as_it_was(
        name: str, team: tuple[Path, Path, str], remote: Path, tmp_path: Path) -> None:  # noqa: F811
    """Ctrl-C undid a sync; SIGTERM or SIGHUP (a shutdown, a closed terminal, ``timeout``)
    while it pushed left its commit and the merge in place: HEAD moved, the edit no longer
    uncommitted. Now they stop it as Ctrl-C does."""
    import os
    import signal
    import time

    a, b, cid = team
    other = ok("customer", "add", "--name", "乙", store=b).strip()
    sync(b)
    ok("customer", "set", cid, "title=店长", store=a)
    head, status = git(a, "rev-parse", "HEAD").strip(), git(a, "status", "--porcelain")
    pushing, release = tmp_path / "pushing", tmp_path / "release"
    hook = a / ".git" / "hooks" / "pre-push"  # a slow network: the push waits until it is killed
    hook.write_text(f"#!/bin/sh\ntouch '{pushing}'\nfor i in $(seq 600); do [ -e '{release}' ] && exit 1; "
                    "sleep 0.1; done\n")
    hook.chmod(0o755)
    process = subprocess.Popen([sys.executable, "-m", "kehu_core", "--store", str(a), "sync"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not pushing.exists():
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)  # polling for the hook's mark, not waiting a fixed time
    os.kill(process.pid, getattr(signal, name))
    out, err = process.communicate(timeout=60)
    release.touch()  # the hook, left behind by the killed push, ends
    assert process.returncode == 1 and "aborted" in err and "Traceback" not in err, (out, err)
    assert git(a, "rev-parse", "HEAD").strip() == head
    assert git(a, "status", "--porcelain") == status  # the edit uncommitted, as before
    listed = [c["id"] for c in kehu("customer", "list", "--json", store=a).json()]
    assert listed == [cid] and other not in listed  # the index as the files are
    hook.unlink()
    sync(a)  # the next sync brings and sends everything, once
    assert sorted(c["id"] for c in kehu("customer", "list", "--json", store=a).json()) == sorted([cid, other])
    assert kehu("check", store=a).code == 0
