"""``kehu sync`` checks what changed, not the whole store (issue 16, a sync at 100 000 customers):
what changed since the last commit a sync verified (edits, hand commits) before it commits, and
what a merge brought after it merges, with every rule across records such a change can break.
Real clones of a real bare remote, the real commands; a plugin of the test's own shows which
profiles its rule was asked about (what a sync reads), and a broken record, a referral loop, a
vanished referrer and a ledger entry whose purchase is gone are refused as before."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from kehu_core.hookspecs import hookimpl
from kehu_core.services.sync import sync as sync_store
from kehu_core.store import Store

from .conftest import git, kehu
from .test_team_merge import first_clone, new_clone, ok


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    path = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(path))
    return path


class Asked:
    """A plugin whose rule notes every profile it is asked about, and finds nothing wrong."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    @hookimpl
    def validate_customer(self, store: Any, customer: Any) -> list[str] | None:
        self.ids.append(customer.id)
        return None


def synced(path: Path, plugin: Asked) -> list[str]:
    """Sync through the API with the plugin; the profiles its rule was asked about."""
    plugin.ids.clear()
    sync_store(Store.open(path, today="2026-11-20", extra_plugins={"asked": plugin}))
    return sorted(plugin.ids)


def test_a_sync_reads_only_the_profiles_that_changed(tmp_path: Path, remote: Path) -> None:
    a = first_clone(tmp_path, remote)
    ids = [ok("customer", "add", "--name", name, store=a).strip() for name in ("赵敏", "周芷若", "张无忌")]
    plugin = Asked()
    assert synced(a, plugin) == sorted(ids)  # the clone's first sync: the whole store
    assert synced(a, plugin) == []  # nothing changed since: nothing read
    ok("customer", "set", ids[1], "level=金卡", store=a)
    assert synced(a, plugin) == [ids[1]]
    # another clone's edit, merged: that customer only
    b = new_clone(tmp_path, remote, "b")
    ok("customer", "set", ids[2], "level=银卡", store=b)
    ok("sync", store=b)
    assert synced(a, plugin) == [ids[2]]
    # kehu.yaml rules every record: a change of it is checked against the whole store
    config = a / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert synced(a, plugin) == sorted(ids)
    # an index rebuilt has forgotten what was verified: the whole store again
    shutil.rmtree(a / ".kehu")
    assert synced(a, plugin) == sorted(ids)
    assert synced(a, plugin) == []


def test_a_file_broken_since_the_last_sync_is_refused_edited_or_committed_by_hand(
        tmp_path: Path, remote: Path) -> None:
    a = first_clone(tmp_path, remote)
    cid = ok("customer", "add", "--name", "赵敏", store=a).strip()
    ok("sync", store=a)
    profile = Store.open(a).customer_dir(cid) / "customer.yaml"
    profile.write_text(profile.read_text(encoding="utf-8").replace("name: 赵敏", "name: [赵敏"), encoding="utf-8")
    remote_head = git(remote, "rev-parse", "HEAD")
    result = kehu("sync", store=a)
    assert result.code == 1 and "customer.yaml" in result.err and "nothing was committed" in result.err
    # committed by hand with git (HEAD moved outside kehu): still compared with what was verified
    git(a, "commit", "-qam", "by hand")
    result = kehu("sync", store=a)
    assert result.code == 1 and "customer.yaml" in result.err
    assert git(remote, "rev-parse", "HEAD") == remote_head


def test_a_merge_that_makes_a_referral_loop_is_not_pushed(tmp_path: Path, remote: Path) -> None:
    a = first_clone(tmp_path, remote)
    one = ok("customer", "add", "--name", "赵敏", store=a).strip()
    two = ok("customer", "add", "--name", "周芷若", store=a).strip()
    ok("sync", store=a)
    b = new_clone(tmp_path, remote, "b")
    ok("customer", "set", one, f"referrer={two}", store=b)  # each alone is fine
    ok("sync", store=b)
    ok("customer", "set", two, f"referrer={one}", store=a)
    remote_head, head = git(remote, "rev-parse", "HEAD"), git(a, "rev-parse", "HEAD")
    result = kehu("sync", store=a)
    assert result.code == 1 and "kehu check rejects" in result.err and "loop" in result.err
    assert git(remote, "rev-parse", "HEAD") == remote_head
    assert git(a, "rev-parse", "HEAD") == head  # the clone as it was, the edit uncommitted
    assert kehu("check", store=a).code == 0


def test_a_merge_deleting_a_referrer_is_refused_though_the_one_naming_it_did_not_change(
        tmp_path: Path, remote: Path) -> None:
    a = first_clone(tmp_path, remote)
    friend = ok("customer", "add", "--name", "韩梅梅", store=a).strip()
    newbie = ok("customer", "add", "--name", "李雷", "--referrer", friend, store=a).strip()
    ok("sync", store=a)
    b = new_clone(tmp_path, remote, "b")
    git(b, "rm", "-rq", str(Store.open(b).customer_dir(friend).relative_to(b)))  # by hand, with git
    git(b, "commit", "-qm", "friend gone")
    git(b, "push", "-q", "origin", "HEAD")
    other = ok("customer", "add", "--name", "张无忌", store=a).strip()  # a's own change: neither of them
    assert other
    remote_head, head = git(remote, "rev-parse", "HEAD"), git(a, "rev-parse", "HEAD")
    result = kehu("sync", store=a)
    assert result.code == 1, result.err
    assert f"{newbie}/customer.yaml" in result.err and f"referrer {friend!r}: no such customer" in result.err
    assert git(remote, "rev-parse", "HEAD") == remote_head
    assert git(a, "rev-parse", "HEAD") == head


def test_a_merge_deleting_a_purchase_whose_points_stay_is_refused(tmp_path: Path, remote: Path) -> None:
    a = first_clone(tmp_path, remote)
    cid = ok("customer", "add", "--name", "赵敏", store=a).strip()
    ok("purchase", "add", cid, "--item", "龙井茶礼盒", "--price", "1288", "--date", "2026-11-01", store=a)
    ok("sync", store=a)
    b = new_clone(tmp_path, remote, "b")
    folder = Store.open(b).customer_dir(cid)
    purchase = next((folder / "interactions").glob("*.yaml"))
    git(b, "rm", "-q", str(purchase.relative_to(b)))  # the ledger's entry still names it
    git(b, "commit", "-qm", "purchase deleted by hand")
    git(b, "push", "-q", "origin", "HEAD")
    other = ok("customer", "add", "--name", "周芷若", store=a).strip()
    assert other
    remote_head = git(remote, "rev-parse", "HEAD")
    result = kehu("sync", store=a)
    assert result.code == 1 and "not in interactions/" in result.err
    assert git(remote, "rev-parse", "HEAD") == remote_head


def test_a_folder_made_unreadable_is_refused_as_check_refuses_it(tmp_path: Path) -> None:
    """git cannot list it and sees no change in it, so a sync checking what changed would not
    read it; git's warning names it, and the sync reports it as ``kehu check`` does. Run as
    'nobody' when the tests run as root (root reads everything)."""
    top = Path(tempfile.mkdtemp(prefix="kehu-unreadable-"))
    try:
        remote, a = top / "remote.git", top / "a"
        git(top, "init", "-q", "--bare", str(remote))
        assert kehu("init", str(a)).code == 0
        git(a, "remote", "add", "origin", str(remote))
        cid = ok("customer", "add", "--name", "赵敏", store=a).strip()
        ok("customer", "add", "--name", "周芷若", store=a)
        home = top / "home"
        home.mkdir()
        if os.geteuid() == 0:
            if shutil.which("setpriv") is None:
                pytest.skip("running as root without setpriv: cannot make a folder unreadable")
            subprocess.run(["chown", "-R", "65534:65534", str(top)], check=True)
        os.chmod(top, 0o755)
        assert _as_reader(a, home, "sync").returncode == 0  # the first sync: the whole store, clean
        folder = Store.open(a).customer_dir(cid)
        os.chmod(folder, 0)
        synced = _as_reader(a, home, "sync")
        text = synced.stdout + synced.stderr
        assert synced.returncode == 1 and "Traceback" not in text, text
        assert f"{folder.relative_to(a)}:1: cannot list this folder" in text, text
    finally:
        for path in [top, *top.rglob("*")]:
            with contextlib.suppress(OSError):
                os.chmod(path, 0o755)
        shutil.rmtree(top, ignore_errors=True)


# kehu as a big store runs it: past SMALL_STORE_FILES the index does not compare every file
# before every command (it trusts its look of the folders), so only the sync's own look finds
# a folder whose permissions changed (its mtime did not)
_BIG_STORE_KEHU = ("import sys; from kehu_core.index import freshness; freshness.SMALL_STORE_FILES = 0; "
                   "from kehu_core.cli import main; sys.argv[0] = 'kehu'; main()")


def _as_reader(store: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``kehu ARGS`` in its own process, as in a big store; as 'nobody' when the tests run as root."""
    argv = [sys.executable, "-c", _BIG_STORE_KEHU, "--store", str(store), *args]
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache")}
    if os.geteuid() == 0:
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
