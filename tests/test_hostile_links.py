"""Links and special files in a store (issue 16, kind 1): kehu never follows a symbolic link
(to a system file, out of the store), never reads a FIFO, socket or folder where a record
belongs, never writes through a link, and ``kehu check`` names each such thing, as it names a
record in the wrong shard folder and an unreadable file or folder. Through the real commands;
the store and the files outside it are left as they were."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kehu_core.ids import shard

from .conftest import git, kehu, kehu_subprocess
from .test_hostile import tree_hash

SECRET = "root:x:0:0:secret-outside-the-store\n"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    path = tmp_path_factory.mktemp("links") / "base"
    assert kehu("init", str(path), "--no-git").code == 0
    # ids of their own: two made ones fell in one shard folder one run in 256, and the cases
    # that break a shard folder then broke the other customer too
    cid = kehu("customer", "add", "--name", "李雷", "--id", "lilei", "--phone", "13800138000",
               store=path).out.strip()
    other = kehu("customer", "add", "--name", "韩梅梅", "--id", "hanmeimei", store=path).out.strip()
    assert shard(cid) != shard(other)
    assert kehu("purchase", "add", cid, "--amount", "300", "--date", "2026-11-01", "--paid", store=path).code == 0
    shutil.rmtree(path / ".kehu", ignore_errors=True)
    return path, cid, other


class World:
    """A copy of the base store and a folder outside it, holding a 'secret' file."""

    def __init__(self, tmp_path: Path, base: tuple[Path, str, str]) -> None:
        self.store = tmp_path / "store"
        shutil.copytree(base[0], self.store)
        self.cid, self.other = base[1], base[2]
        self.outside = tmp_path / "outside"
        self.outside.mkdir()
        (self.outside / "secret").write_text(SECRET, encoding="utf-8")
        self.folder = self.store / "customers" / shard(self.cid) / self.cid

    def move_out(self, rel: str) -> Path:
        """Move ``rel`` (under the store) outside and put a link to it in its place."""
        inside = self.store / rel
        target = self.outside / rel.replace("/", "_")
        shutil.move(str(inside), str(target))
        inside.symlink_to(target)
        return inside

    def outside_hash(self) -> str:
        return tree_hash(self.outside)


def _rel(world: World, *parts: str) -> str:
    return "/".join(["customers", shard(world.cid), world.cid, *parts])


# name -> (what to do to the store, the path check names, what it says)
Setup = Callable[[World], Path]
CASES: dict[str, tuple[Setup, str]] = {
    "customer.yaml -> /etc/passwd-like file": (
        lambda w: _link(w.folder / "customer.yaml", w.outside / "secret"), "is a symbolic link (to "),
    "customer folder -> outside": (lambda w: w.move_out(_rel(w)), "is a symbolic link (to "),
    "shard folder -> outside": (lambda w: w.move_out(f"customers/{shard(w.cid)}"), "is a symbolic link (to "),
    "interactions folder -> outside": (lambda w: w.move_out(_rel(w, "interactions")), "is a symbolic link (to "),
    "ledger -> outside file": (
        lambda w: _link(w.folder / "points.ledger.yaml", w.outside / "secret"), "is a symbolic link (to "),
    "interaction is a FIFO": (lambda w: _fifo(w.folder / "interactions" / "2026-11-02-fifo.yaml"),
                              "is a FIFO (named pipe), not a record file"),
    "ledger is a FIFO": (lambda w: _fifo(w.folder / "notes.ledger.yaml"), "is a FIFO (named pipe)"),
    "customer.yaml is a folder": (lambda w: _folder_for(w.folder / "customer.yaml"), "is a folder, not a record file"),
    "record in the wrong shard": (lambda w: _wrong_shard(w), "is in the wrong folder: its place is customers/"),
}


def _link(path: Path, target: Path) -> Path:
    if path.exists():
        path.unlink()
    path.symlink_to(target)
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _folder_for(path: Path) -> Path:
    path.unlink()
    path.mkdir()
    (path / "x.yaml").write_text("id: x\n", encoding="utf-8")
    return path


def _wrong_shard(w: World) -> Path:
    wrong = "zz" if shard(w.cid) != "zz" else "yy"
    target = w.store / "customers" / wrong / w.cid
    target.parent.mkdir(exist_ok=True)
    shutil.move(str(w.folder), str(target))
    return target / "customer.yaml"


def run_bounded(store: Path, *args: str, own_process: bool = False) -> subprocess.CompletedProcess[str]:
    """Run kehu; with ``own_process`` in a process of its own with a deadline (a FIFO must
    not hang it), else in this process (quicker)."""
    if own_process:
        return subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store), *args],
                              capture_output=True, text=True, timeout=60)
    result = kehu(*args, store=store)
    return subprocess.CompletedProcess(list(args), result.code, result.out, result.err)


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_names_each_link_and_special_file_and_nothing_is_followed(
        case: str, base: tuple[Path, str, str], tmp_path: Path) -> None:
    world = World(tmp_path, base)
    setup, message = CASES[case]
    where = setup(world)
    before, outside = tree_hash(world.store), world.outside_hash()

    fifo = "FIFO" in case
    check = run_bounded(world.store, "check", own_process=fifo)
    assert check.returncode == 1, check.stdout + check.stderr
    reported = check.stdout + check.stderr
    assert f"{where}:1: " in reported and message in reported, reported
    assert "Traceback" not in reported and "secret-outside" not in reported

    for argv in (["customer", "show", world.cid], ["customer", "set", world.cid, "level=金卡"],
                 ["purchase", "add", world.cid, "--amount", "5"], ["points", "show", world.cid],
                 ["customer", "list"], ["customer", "show", world.other]):
        result = run_bounded(world.store, *argv, own_process=fifo)
        text = result.stdout + result.stderr
        assert "Traceback" not in text and "secret-outside" not in text, (argv, text)
        assert result.returncode in (0, 1), (argv, text)
        if argv[-1] == world.other or argv == ["customer", "list"]:
            assert result.returncode == 0, (argv, text)  # the rest of the store works
    # nothing outside was written or copied in; whatever a refused command began is undone
    assert world.outside_hash() == outside
    for path in world.store.rglob("*"):
        if path.is_file() and not path.is_symlink() and ".kehu" not in path.parts:
            assert "secret-outside" not in path.read_text(encoding="utf-8", errors="replace"), path
    if case != "ledger is a FIFO" and "ledger" not in case and "interaction" not in case:
        assert tree_hash(world.store) == before


def test_a_link_to_a_system_file_is_never_read_nor_copied_into_the_store(
        base: tuple[Path, str, str], tmp_path: Path) -> None:
    """The points plugin appends to a ledger on every purchase: a ledger that is a link to a
    file outside was read and rewritten as a real file holding that file's content, ready for
    ``kehu sync`` to commit and push."""
    world = World(tmp_path, base)
    ledger = _link(world.folder / "points.ledger.yaml", world.outside / "secret")
    result = kehu("purchase", "add", world.cid, "--amount", "50", store=world.store)
    assert "plugin 'points' failed" in result.err and "is a symbolic link" in result.err
    assert ledger.is_symlink() and (world.outside / "secret").read_text(encoding="utf-8") == SECRET
    redeem = kehu("points", "redeem", world.cid, "10", store=world.store)
    assert redeem.code == 1 and "is a symbolic link" in redeem.err
    assert ledger.is_symlink() and (world.outside / "secret").read_text(encoding="utf-8") == SECRET


def test_a_link_arriving_through_sync_is_never_followed_nor_its_target_pushed(tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    a = tmp_path / "a"
    assert kehu("init", str(a)).code == 0
    git(a, "remote", "add", "origin", str(remote))
    cid = kehu("customer", "add", "--name", "李雷", store=a).out.strip()
    assert kehu("sync", store=a).code == 0
    b = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(remote), str(b))
    secret = tmp_path / "secret"
    secret.write_text(SECRET, encoding="utf-8")
    # a colleague's clone (or an attacker with push access) commits links into the store
    folder = b / "customers" / shard(cid) / cid
    (folder / "points.ledger.yaml").symlink_to(secret)
    (folder / "interactions").symlink_to(tmp_path)
    git(b, "add", "-A")
    git(b, "commit", "-qm", "links")
    git(b, "push", "-q", "origin", "HEAD")

    synced = kehu("sync", store=a)
    assert "Traceback" not in synced.err
    for argv in (["purchase", "add", cid, "--amount", "5"], ["customer", "set", cid, "level=金卡"],
                 ["points", "redeem", cid, "1"]):
        result = kehu(*argv, store=a)
        assert "Traceback" not in result.err + result.out, argv
    kehu("sync", store=a)
    check = kehu("check", store=a)
    assert check.code == 1 and "is a symbolic link" in check.out + check.err
    # nothing read through the links reached any commit on the remote
    objects = git(remote, "rev-list", "--all", "--objects").split()
    blobs = [o for o in objects if len(o) == 40]
    contents = subprocess.run(["git", "-C", str(remote), "cat-file", "--batch"], capture_output=True,
                              input="\n".join(blobs).encode(), check=True).stdout
    assert b"secret-outside" not in contents
    assert not any(p.name.endswith(".yaml") for p in tmp_path.iterdir() if p.is_file())  # nothing written out


# --- unreadable files and folders: as root, permissions do not stop reads, so the command
# runs as 'nobody' (setpriv) when the tests run as root ---------------------------------------


def _as_reader(store: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "kehu_core", "--store", str(store), *args]
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache")}
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot make a file unreadable")
        argv = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder every user can reach (pytest's own are root's alone when run as root)."""
    top = Path(tempfile.mkdtemp(prefix="kehu-unreadable-"))
    os.chmod(top, 0o755)  # 'nobody' must reach the store, just not the one record
    yield top
    for path in [top, *top.rglob("*")]:
        with contextlib.suppress(OSError):
            os.chmod(path, 0o755)
    shutil.rmtree(top, ignore_errors=True)


@pytest.mark.parametrize("what", ["file", "shard folder"])
def test_an_unreadable_file_or_folder_is_reported_not_a_traceback(
        what: str, base: tuple[Path, str, str], open_folder: Path) -> None:
    top = open_folder
    store = top / "store"
    shutil.copytree(base[0], store)
    cid = base[1]
    home = top / "home"
    home.mkdir()
    os.chmod(home, 0o777)
    for path in [store, *store.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    target = (store / "customers" / shard(cid) / cid / "customer.yaml" if what == "file"
              else store / "customers" / shard(cid))
    os.chmod(target, 0)
    try:
        before = hashlib.sha256(str(sorted(p.name for p in store.rglob("*") if os.access(p.parent, os.R_OK))).encode())
        check = _as_reader(store, home, "check")
        text = check.stdout + check.stderr
        assert check.returncode == 1, text
        assert f"{target}:1: " in text and ("permission denied" in text.lower()), text
        assert "Traceback" not in text
        shown = _as_reader(store, home, "customer", "show", cid)
        assert shown.returncode == 1 and "Traceback" not in shown.stderr, shown.stderr
        assert "ermission denied" in shown.stderr
        listed = _as_reader(store, home, "customer", "list", "--json")
        assert listed.returncode == 0 and base[2] in listed.stdout, listed.stderr
        assert hashlib.sha256(str(sorted(p.name for p in store.rglob("*")
                                         if os.access(p.parent, os.R_OK))).encode()).digest() == before.digest()
    finally:
        os.chmod(target, 0o755)


@pytest.mark.parametrize("rel", [".gitattributes", "customers/.gitignore", ".gitmodules"])
def test_a_fifo_or_link_in_the_place_of_gits_files_is_refused_before_git_reads_it(
        store_path: Path, rel: str) -> None:
    """Git opens ``.gitattributes`` and ``.gitignore`` on every ``git status``: a FIFO there
    made ``kehu sync`` wait for ever holding the store's lock (and ``kehu check`` said ok)."""
    kehu("customer", "add", "--name", "李雷", store=store_path)
    head = git(store_path, "rev-parse", "HEAD")
    path = store_path / rel
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    checked = kehu("check", store=store_path)
    assert checked.code == 1 and f"{path}:1: is a FIFO (named pipe), not a file" in checked.out
    synced = kehu_subprocess("sync", store=store_path, timeout=120)  # before: never ended
    assert synced.returncode == 1, synced.stderr
    assert f"{rel}:1: is a FIFO (named pipe)" in synced.stderr and "Traceback" not in synced.stderr
    assert git(store_path, "rev-parse", "HEAD") == head  # nothing committed
    path.unlink()
    path.symlink_to("/etc/passwd")
    checked = kehu("check", store=store_path)
    assert checked.code == 1 and f"{path}:1: is a symbolic link (to /etc/passwd)" in checked.out
    assert kehu_subprocess("sync", store=store_path, timeout=120).returncode == 1
    assert git(store_path, "rev-parse", "HEAD") == head
