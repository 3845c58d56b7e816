"""Writes in a read-only store (issue 16, kind 4): every command that writes — customer add and
set, purchase add, a payment, a complaint and its next step, import, points redeem, sync, init
on a file or under one, export onto a record or kehu.yaml — ends in one line naming the path,
exit 1, no traceback, and the store exactly as it was.

Really read-only, also when the tests run as root (CI does), where permissions stop nothing:

* ``permissions``: the store is made read-only with chmod and kehu runs as ``nobody``
  (``setpriv``) when the tests run as root, as the user otherwise;
* ``read-only mount``: kehu runs in its own mount namespace where the store is bind-mounted
  read-only (``unshare -m``; root only): even root cannot write there.

Each is skipped, with its reason, only where the machine cannot do it."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kehu_core.ids import shard

from .conftest import git, kehu

NOBODY = "65534"


def tree_digest(top: Path) -> str:
    """Every path under ``top`` (.git included) with its kind, mode and content."""
    # the fixture's in-process commands leave stores whose index connections close when they
    # are collected, and SQLite deletes index.sqlite-shm then: at once, not while this walks
    gc.collect()
    digest = hashlib.sha256()
    for path in sorted(top.rglob("*")):
        st = path.lstat()
        digest.update(f"{path.relative_to(top)}\0{st.st_mode}\0".encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _unshare_works() -> str | None:
    """Why a read-only bind mount cannot be made here (None: it can)."""
    if os.geteuid() != 0:
        return "a read-only mount needs root"
    if shutil.which("unshare") is None:
        return "unshare is not installed (util-linux)"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind / / 2>&1 && echo ok"],
                           capture_output=True, text=True, timeout=30)
    return None if probe.stdout.strip().endswith("ok") else f"unshare -m cannot mount here: {probe.stdout}"


class ReadOnly:
    """Runs the real kehu (its own process) with ``top`` read-only in the chosen way."""

    def __init__(self, how: str, top: Path) -> None:
        self.how, self.top = how, top
        self.home = top.parent / f"{top.name}-home"  # the user's cache: where a read-only
        self.home.mkdir(mode=0o777)                  # store's index goes (kehu_core.paths)
        os.chmod(self.home, 0o777)

    def freeze(self) -> None:
        if self.how == "permissions":
            for path in [self.top, *self.top.rglob("*")]:
                os.chmod(path, 0o555 if path.is_dir() else 0o444)

    def thaw(self) -> None:
        for path in [self.top, *self.top.rglob("*")]:
            with contextlib.suppress(OSError):
                os.chmod(path, 0o755 if path.is_dir() else 0o644)

    def kehu(self, *args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "kehu_core", *args]
        home = home or self.home
        env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
               # the store is root's and kehu runs as nobody: git would refuse another user's
               # repository before it ever tried a write ("dubious ownership")
               "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "safe.directory", "GIT_CONFIG_VALUE_0": "*"}
        if self.how == "permissions" and os.geteuid() == 0:
            argv = [shutil.which("setpriv") or "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}",
                    "--clear-groups", *argv]
        elif self.how == "read-only mount":
            script = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"'
            argv = ["unshare", "-m", "sh", "-c", script, str(self.top), *argv]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env,
                              cwd=self.top)


@pytest.fixture(params=["permissions", "read-only mount"])
def frozen(request: pytest.FixtureRequest) -> Iterator[tuple[ReadOnly, Path, dict[str, str]]]:
    """A store with a customer, a purchase on credit, a complaint and points, then read-only."""
    how = request.param
    if how == "permissions" and os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv (util-linux): chmod cannot stop root's writes")
    if how == "read-only mount" and (why := _unshare_works()):
        pytest.skip(why)
    base = Path(tempfile.mkdtemp(prefix="kehu-readonly-"))
    os.chmod(base, 0o755)  # 'nobody' must reach the store (pytest's folders are root's alone)
    top = base / "top"
    top.mkdir()
    runner = ReadOnly(how, top)
    store = top / "store"
    assert kehu("init", str(store)).code == 0
    cid = kehu("customer", "add", "--name", "张三", store=store).out.strip()
    pid = kehu("purchase", "add", cid, "--item", "龙井", "--price", "500", "--due", "2026-12-20",
               store=store).out.strip().splitlines()[-1]
    complaint = kehu("interaction", "add", cid, "--kind", "complaint", "--text", "茶叶受潮",
                     store=store).out.strip().splitlines()[-1]
    git(store, "add", "-A")
    git(store, "commit", "-qm", "the shop")
    remote = base / "remote.git"
    git(base, "init", "-q", "--bare", str(remote))
    git(store, "remote", "add", "origin", str(remote))
    git(store, "push", "-q", "-u", "origin", "HEAD")
    kehu("customer", "set", cid, "level=银卡", store=store)  # an edit not yet shared: sync has work
    (top / "sheet.csv").write_text("姓名,手机\n李四,13800138000\n", encoding="utf-8")
    (top / "a-file").write_text("not a folder\n", encoding="utf-8")
    (top / "no-home").mkdir()  # a user whose cache cannot be written either (read-only with top)
    runner.freeze()
    try:
        yield runner, store, {"cid": cid, "pid": pid, "complaint": complaint,
                              "record": str(store / "customers" / shard(cid) / cid / "customer.yaml")}
    finally:
        runner.thaw()
        shutil.rmtree(base, ignore_errors=True)


WRITES = {
    "customer add": ["customer", "add", "--name", "王五"],
    "customer set": ["customer", "set", "{cid}", "level=金卡"],
    "purchase add": ["purchase", "add", "{cid}", "--item", "白茶", "--price", "80"],
    "payment": ["purchase", "pay", "{cid}", "{pid}", "--amount", "100"],
    "complaint": ["interaction", "add", "{cid}", "--kind", "complaint", "--text", "又受潮了"],
    "complaint step": ["complaint", "ack", "{cid}", "{complaint}", "--text", "已致电"],
    "import": ["import", "{top}/sheet.csv"],
    "points redeem": ["points", "redeem", "{cid}", "10"],
    "sync": ["sync"],
    "export onto kehu.yaml": ["export", "--format", "csv", "{store}/kehu.yaml"],
    "export onto a record": ["export", "--format", "xlsx", "{record}"],
    "export into a read-only folder": ["export", "--format", "csv", "{top}/out.csv"],
    "init in a read-only folder": ["init", "{top}/new-store"],
}


def one_line_naming(result: subprocess.CompletedProcess[str], path: str) -> None:
    text = result.stdout + result.stderr
    assert result.returncode == 1, text
    assert "Traceback" not in text and "internal error" not in text, text
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and path in lines[0], text


@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_in_a_read_only_store_is_one_line_and_changes_nothing(
        write: str, frozen: tuple[ReadOnly, Path, dict[str, str]]) -> None:
    runner, store, ids = frozen
    values = {**ids, "store": str(store), "top": str(runner.top)}
    args = [arg.format(**values) for arg in WRITES[write]]
    before = tree_digest(runner.top)
    result = runner.kehu("--store", str(store), *args)
    # the path named: the export's or the new store's when the user gave one, else the store's
    named = args[-1] if write.startswith(("export", "init")) else str(store)
    one_line_naming(result, named)
    assert tree_digest(runner.top) == before
    # reading still works, with the index in the user's cache, and finds the store as it was
    shown = runner.kehu("--store", str(store), "customer", "show", ids["cid"])
    assert shown.returncode == 0 and "张三" in shown.stdout, shown.stderr


@pytest.mark.parametrize("where", ["a file", "a path under a file"])
def test_init_on_a_file_is_one_line_and_changes_nothing(
        where: str, frozen: tuple[ReadOnly, Path, dict[str, str]]) -> None:
    runner, _, _ = frozen
    target = runner.top / "a-file" if where == "a file" else runner.top / "a-file" / "shop"
    before = tree_digest(runner.top)
    result = runner.kehu("init", str(target))
    one_line_naming(result, str(target))
    assert "is a file, not a folder" in result.stderr
    assert tree_digest(runner.top) == before


@pytest.mark.parametrize("inside", ["customers/ab/shop", ".kehu/shop", ".git/shop"])
def test_init_inside_another_stores_records_or_git_is_refused(tmp_path: Path, inside: str) -> None:
    """`kehu init` under a store's customers/ or .kehu/ made a store there with exit 0 (check then
    called its kehu.yaml "unexpected", the outer sync would commit it, .git and all); under
    .git/ it wrote kehu.yaml and the folders, then failed in git, a store half made."""
    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    (store / "customers" / "ab").mkdir()
    before = tree_digest(store)
    result = kehu("init", str(store / inside))
    assert result.code == 1 and result.err.startswith(f"kehu: {store / inside}: is inside "), result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1
    assert tree_digest(store) == before
    beside = tmp_path / "store-2"  # a folder of its own, next to it: fine
    assert kehu("init", str(beside)).code == 0


def test_reindex_keeps_the_index_in_the_users_cache_or_says_where_it_cannot(
        frozen: tuple[ReadOnly, Path, dict[str, str]]) -> None:
    runner, store, _ = frozen
    before = tree_digest(runner.top)
    done = runner.kehu("--store", str(store), "reindex")
    assert done.returncode == 0, done.stderr
    assert any(runner.home.rglob("index.sqlite"))  # in the cache, not the store
    nowhere = runner.top / "no-home"
    refused = runner.kehu("--store", str(store), "reindex", home=nowhere)
    one_line_naming(refused, str(nowhere))
    assert tree_digest(runner.top) == before


_FULL_DISK_DRIVER = r'''
import hashlib, json, os, subprocess, sys
from pathlib import Path

top = Path(sys.argv[1])
store = top / "store"
env = {**os.environ, "KEHU_TODAY": "2026-11-20"}

def kehu(*args):
    done = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store), *args],
                          capture_output=True, text=True, env=env, timeout=300)
    return {"code": done.returncode, "err": done.stderr}

def records():
    digest = hashlib.sha256()
    for path in sorted([store / "kehu.yaml", *(store / "customers").rglob("*")]):
        digest.update(str(path.relative_to(store)).encode() + b"\0")
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()

subprocess.run([sys.executable, "-m", "kehu_core", "init", str(store), "--no-git"], check=True,
               capture_output=True)
kehu("customer", "add", "--name", "张三", "--id", "zs")
kehu("customer", "list")
filler = top / "filler"
free = os.statvfs(top).f_bavail * os.statvfs(top).f_frsize
filler.write_bytes(b"\0" * (free - int(sys.argv[3]) * 1024))  # this much left for kehu
before = records()
out = {"import": kehu("import", sys.argv[2])}
out["unchanged"] = records() == before
rest = top / "rest"  # the disk full to the last byte
rest.write_bytes(b"\0" * (os.statvfs(top).f_bavail * os.statvfs(top).f_frsize))
out["set"] = kehu("customer", "set", "zs", "notes=" + "很" * 10_000)
out["unchanged"] = out["unchanged"] and records() == before
filler.unlink()
rest.unlink()
out["check"] = kehu("check")
print(json.dumps(out))
'''


@pytest.mark.parametrize("left_kb", [0, 600])
def test_a_full_disk_is_one_line_naming_the_file_and_the_store_is_as_it_was(tmp_path: Path, left_kb: int) -> None:
    """A disk that fills up during an import of 3 000 rows: before, the hundred customers
    written before the disk filled stayed (a third of nothing asked for), and the message named
    the undo journal's entry; with no room at all the index's full disk was "internal error:
    OperationalError: cannot rollback - no transaction is active". A `customer set` named no
    file. Now each is one line naming the file (a record, the index), and the records are as
    they were. The store is on a small tmpfs in a mount namespace of its own (root only)."""
    if why := _unshare_works():
        pytest.skip(why)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("姓名,手机,备注\n" + "".join(f"客{i},139{i:08d},{'x' * 300}\n" for i in range(3000)),
                     encoding="utf-8")
    top = tmp_path / "disk"
    top.mkdir()
    driver = tmp_path / "driver.py"
    driver.write_text(_FULL_DISK_DRIVER, encoding="utf-8")
    script = 'mount -t tmpfs -o size=6M tmpfs "$0" && exec "$@"'
    done = subprocess.run(["unshare", "-m", "sh", "-c", script, str(top), sys.executable, str(driver),
                           str(top), str(sheet), str(left_kb)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    for step in ("import", "set"):
        result = out[step]
        assert result["code"] == 1, (step, result)
        lines = result["err"].strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"kehu: {top / 'store'}/"), (step, lines)
        assert lines[0].endswith(": No space left on device"), (step, lines)
    assert out["unchanged"], out
    assert out["check"]["code"] == 0, out["check"]
