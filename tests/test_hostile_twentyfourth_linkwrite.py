"""The twenty-fourth round's links, special files and writes (issue 16, kinds 1 and 4): each
test failed before its fix."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kehu_core.ids import shard

from .conftest import kehu
from .smalldisk import DRIVER_PRELUDE

# kehu as a big store runs it (past SMALL_STORE_FILES the index looks at folders, not files,
# before a command), or as a small one, which compares every file before every command
_KEHU = ("import sys; from kehu_core.index import freshness; freshness.SMALL_STORE_FILES = {small}; "
         "from kehu_core.cli import main; sys.argv[0] = 'kehu'; main()")


class Reader:
    """A store in a folder every user can reach, and ``kehu`` run on it as a user whom
    permissions stop: 'nobody' when the tests run as root (root reads everything)."""

    def __init__(self, top: Path) -> None:
        self.top = top
        self.store = top / "store"
        self.home = top / "home"
        self.home.mkdir()
        assert kehu("init", str(self.store), "--no-git").code == 0
        self.cid = kehu("customer", "add", "--name", "李雷", "--id", "lilei", store=self.store).out.strip()
        self.other = kehu("customer", "add", "--name", "韩梅梅", "--id", "hanmeimei", store=self.store).out.strip()
        assert shard(self.cid) != shard(self.other)
        assert kehu("purchase", "add", self.cid, "--amount", "300", "--date", "2026-11-01",
                    store=self.store).code == 0
        self.folder = self.store / "customers" / shard(self.cid) / self.cid
        shutil.rmtree(self.store / ".kehu")  # made by the reader, as a clone's is
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "65534:65534", str(top)], check=True)
        # written an hour ago: the index trusts no file or folder changed in its last two
        # seconds (a change in the same clock tick would not move its mtime)
        hour_ago = time.time() - 3600
        for path in [self.store, *self.store.rglob("*")]:
            os.utime(path, (hour_ago, hour_ago), follow_symlinks=False)

    def kehu(self, *args: str, big: bool = False) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-c", _KEHU.format(small=0 if big else 5000), "--store", str(self.store), *args]
        env = {**os.environ, "HOME": str(self.home), "XDG_CACHE_HOME": str(self.home / "cache"),
               "KEHU_TODAY": "2026-12-07"}
        if os.geteuid() == 0:
            argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
        # run from the top folder: `python -c` imports from its working folder first
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env, cwd=self.top)


@contextlib.contextmanager
def a_top_folder(prefix: str) -> Iterator[Path]:
    """A folder for a store some of whose files a test makes unreadable (skipped where root
    cannot be made to respect a file's mode), made readable again and removed after."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make a file unreadable")
    top = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(top, 0o755)
    try:
        yield top
    finally:
        for path in [top, *top.rglob("*")]:
            with contextlib.suppress(OSError):
                os.chmod(path, 0o755 if path.is_dir() else 0o644)
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def reader() -> Iterator[Reader]:
    with a_top_folder("kehu-unreadable-") as top:
        yield Reader(top)


@pytest.mark.parametrize("what", ["customer.yaml", "interaction", "kehu.yaml"])
def test_a_file_made_unreadable_after_the_index_read_it_is_named_by_check(reader: Reader, what: str) -> None:
    """``chmod 000`` (or a ``sudo`` tool's ``chown``) of a record the index had read: its size
    and mtime stayed, so the index took it for unchanged — `kehu check` said "ok: 2 customers,
    no problems" while `customer set` and `purchase add` said the profile could not be read;
    kehu.yaml so left, `customer list` answered from the index with exit 0 while every other
    command said it could not be read."""
    assert reader.kehu("check").returncode == 0  # the index reads every file
    target = {"customer.yaml": reader.folder / "customer.yaml",
              "interaction": next((reader.folder / "interactions").glob("*.yaml")),
              "kehu.yaml": reader.store / "kehu.yaml"}[what]
    os.chmod(target, 0)
    checked = reader.kehu("check")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert f"{target}:1: cannot read: permission denied" in checked.stdout + checked.stderr
    listed = reader.kehu("customer", "list")
    if what == "kehu.yaml":
        assert listed.returncode == 1 and f"{target}:1: cannot read" in listed.stderr, listed.stderr
    elif what == "customer.yaml":  # the others listed, and it said that one is left out
        assert listed.returncode == 0 and "韩梅梅" in listed.stdout and "李雷" not in listed.stdout
        assert "1 customer is not listed" in listed.stderr, listed.stderr
    os.chmod(target, 0o644)
    assert reader.kehu("check").returncode == 0


@pytest.mark.parametrize("big", [False, True], ids=["small store", "big store"])
@pytest.mark.parametrize("what", ["shard folder", "customer folder"])
def test_a_folder_that_could_not_be_listed_and_can_be_now_is_no_problem(
        reader: Reader, what: str, big: bool) -> None:
    """A shard folder made unreadable and then readable again (a `sudo` tool's, mended): every
    `kehu check` after still said "customers/NN:1: unexpected folder", `kehu reindex` too (the
    index kept the row it made of the unlistable folder). And in a big store, whose index
    looks at folders only, one folder that cannot be entered ended every command — `customer
    list`, `show` of any other customer — in "Permission denied", naming nothing else."""
    folder = reader.folder.parent if what == "shard folder" else reader.folder
    assert reader.kehu("check", big=big).returncode == 0
    os.chmod(folder, 0)
    (reader.store / "kehu.yaml").touch()  # a big store's index looks at its folders again
    shown = reader.kehu("customer", "show", reader.other, big=big)
    assert shown.returncode == 0 and "韩梅梅" in shown.stdout, shown.stderr
    listed = reader.kehu("customer", "list", big=big)
    assert listed.returncode == 0 and "韩梅梅" in listed.stdout and "李雷" not in listed.stdout, listed.stderr
    checked = reader.kehu("check", big=big)
    text = checked.stdout + checked.stderr
    assert checked.returncode == 1 and f"{folder}:1: cannot list this folder" in text, text
    os.chmod(folder, 0o755)
    (reader.store / "kehu.yaml").touch()
    listed = reader.kehu("customer", "list", big=big)
    assert listed.returncode == 0 and "李雷" in listed.stdout, listed.stdout + listed.stderr
    checked = reader.kehu("check", big=big)
    assert checked.returncode == 0, checked.stdout + checked.stderr


_ALMOST_FULL_DRIVER = DRIVER_PRELUDE + r'''
left = int(sys.argv[2])

subprocess.run([sys.executable, "-m", "kehu_core", "init", str(store), "--no-git"], check=True,
               capture_output=True, cwd=disk, env=env)
kehu("customer", "add", "--name", "张三", "--id", "zs")
sale = [line for line in kehu("purchase", "add", "zs", "--date", "2026-11-01", "--item", "茶", "--amount",
                              "100")["err"].split() if line]
sale = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store), "customer", "show", "zs", "--json"],
                      capture_output=True, text=True, env=env, cwd=disk).stdout
sale = json.loads(sale)["purchases"][0]["id"]
kehu("check")
out = []
for args in (["purchase", "add", "zs", "--date", "2026-11-05", "--item", "茶", "--amount", "50"],
             ["customer", "set", "zs", "title=经理"],
             ["purchase", "pay", "zs", sale, "--amount", "10"],
             ["points", "redeem", "zs", "50", "--reason", "礼品"],
             ["interaction", "add", "zs", "--kind", "call", "--date", "2026-11-06", "--text", "回访"]):
    filler = disk / "filler"
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    filler.write_bytes(b"\0" * max(free - left, 0))  # this much left for kehu
    before = records()
    result = kehu(*args)
    result["changed"] = records() != before
    filler.unlink()
    result["args"] = args
    out.append(result)
out.append({"left": sorted(str(p.relative_to(store)) for p in (store / "customers").rglob(".*.tmp"))})
out.append(kehu("check"))
print(json.dumps(out))
'''


@pytest.mark.parametrize("left_kb", [12, 64])
def test_a_write_the_index_cannot_take_on_a_full_disk_leaves_the_record_as_it_was(
        tmp_path: Path, left_kb: int) -> None:
    """A disk with a few KB left, room for the record but not for the index's pages: `purchase
    add` wrote the sale, then said "index.sqlite: No space left on device", exit 1 — the sale
    stood without its points (the plugins were never told), and `kehu undo` could not take it
    back. Told it failed, the user recorded it again: two sales. `customer set`, `purchase pay`,
    `points redeem` and `interaction add` alike. With a little more room (64 KB) the sale and
    its index fitted and the plugins' writes did not: "plugin 'points' failed … No space left
    on device", exit 0, the sale kept without its points. Each now fails whole with the
    records as they were (or, with room enough, works)."""
    from .smalldisk import run_driver

    _disk, said = run_driver(tmp_path, _ALMOST_FULL_DRIVER, "4m", str(left_kb * 1024), timeout=600)
    *results, left, checked = json.loads(said)
    if left_kb == 12:
        assert any(r["code"] == 1 for r in results), results  # the disk was full for some: the case tried
    for result in results:
        assert "Traceback" not in result["err"] and "internal error" not in result["err"], result
        assert "failed in interaction_saved" not in result["err"], result  # a plugin's half
        if result["code"] == 1:
            assert "No space left on device" in result["err"] and not result["changed"], result
    assert left == {"left": []}, left  # nothing kept aside stays
    assert checked["code"] == 0, checked


@pytest.mark.parametrize("how", ["gitdir file", "link"])
def test_init_never_commits_into_the_repository_a_borrowed_git_leads_to(tmp_path: Path, how: str) -> None:
    """`kehu init` in a folder whose `.git` is a file naming another repository (a worktree's
    or a submodule's `gitdir:`, a folder copied from one) or a link to one: git followed it,
    and the new store's first commit went into the other store's repository, exit 0: its HEAD
    then held this store's kehu.yaml (`git status` in that store: kehu.yaml changed), which
    its next sync would push to the team. Refused, naming where it leads; nothing written."""
    from .conftest import git

    other = tmp_path / "other"
    assert kehu("init", str(other)).code == 0
    head = git(other, "rev-parse", "HEAD")
    folder = tmp_path / "new"
    folder.mkdir()
    if how == "link":
        (folder / ".git").symlink_to(other / ".git")
    else:
        (folder / ".git").write_text(f"gitdir: {other / '.git'}\n", encoding="utf-8")
    made = kehu("init", str(folder))
    assert made.code == 1 and f"leads to the git repository {other / '.git'}" in made.err, made.err
    assert git(other, "rev-parse", "HEAD") == head
    assert git(other, "status", "--porcelain") == ""
    assert sorted(p.name for p in folder.iterdir()) == [".git"]


@pytest.mark.parametrize("big", [False, True], ids=["small store", "big store"])
def test_a_folder_of_customers_that_cannot_be_read_is_said_by_every_list(reader: Reader, big: bool) -> None:
    """(lead) A shard folder (`customers/NN`) another user's tool left unreadable (`chmod 000`):
    `kehu customer list`, `export` and the reports showed the other customers and said nothing
    of those in it (exit 0); only `kehu check` named the folder. How many customers it holds
    nobody can tell, so each such output says a folder of customers cannot be read and its
    customers are left out, pointing to `kehu check`."""
    os.chmod(reader.folder.parent, 0)
    (reader.store / "kehu.yaml").touch()  # a big store's index looks at its folders again
    said = "1 folder of customer records cannot be read (no permission)"
    listed = reader.kehu("customer", "list", big=big)
    assert listed.returncode == 0 and "韩梅梅" in listed.stdout and "李雷" not in listed.stdout, listed.stderr
    assert said in listed.stderr, listed.stderr
    exported = reader.kehu("export", str(reader.home / "out.csv"), "--format", "csv", big=big)
    assert exported.returncode == 0 and said in exported.stderr, exported.stderr
    report = reader.kehu("report", "revenue", big=big)
    assert report.returncode == 0 and said in report.stderr, report.stderr
    os.chmod(reader.folder.parent, 0o755)
    (reader.store / "kehu.yaml").touch()
    listed = reader.kehu("customer", "list", big=big)
    assert "李雷" in listed.stdout and "cannot be read" not in listed.stderr, listed.stderr
