"""Variants of issue 16's kinds 1 to 4 found by the ninth outside round (A, 2026-12-05): each
failed on the code before its fix. See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kehu_core.index import freshness

from . import test_hostile_limits
from .conftest import kehu, kehu_subprocess
from .test_hostile import tree_hash

# the fixtures of a store of one customer, copied for each test
base, store = test_hostile_limits.base, test_hostile_limits.store
no_traceback = test_hostile_limits.no_traceback


def _tree(root: Path) -> list[tuple[bytes, bytes]]:
    """Every name under the store (as bytes: some are no text) with its content, ``.kehu/`` left out."""
    return sorted((os.fsencode(p.relative_to(root)), p.read_bytes() if p.is_file() else b"")
                  for p in root.rglob("*") if ".kehu" not in p.relative_to(root).parts)


def _customer_folder(path: Path) -> Path:
    return next((path / "customers").glob("*/*/customer.yaml")).parent


def _record(cid: str) -> bytes:
    return f"kind: note\ndate: 2026-01-02\ntext: hi {cid}\n".encode()


def _not_utf8_names(path: Path) -> list[bytes]:
    """A file, a customer folder and a shard folder whose names hold bytes that are not UTF-8
    (a colleague's commit made on a machine in GBK or Latin-1: git keeps the bytes)."""
    folder = _customer_folder(path)
    interactions = folder / "interactions"
    interactions.mkdir(exist_ok=True)
    made = [bytes(interactions) + b"/\xff\xfe.yaml", bytes(path) + b"/customers/\xb2\xe2",
            bytes(folder.parent) + b"/\xe9t\xe9"]
    with open(made[0], "wb") as f:  # noqa: PTH123 - a name Path cannot spell
        f.write(_record("x"))
    os.mkdir(made[1])
    os.mkdir(made[2])  # a customer's folder: a customer no list shows
    with open(made[2] + b"/customer.yaml", "wb") as f:  # noqa: PTH123
        f.write(b"id: x\nname: X\n")
    return made


def synced_store(tmp_path: Path) -> tuple[Path, Path, str]:
    """A bare remote and a store synced with it holding one customer, 李雷: (remote, store, id)."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    mine = tmp_path / "mine"
    assert kehu("init", str(mine)).code == 0
    subprocess.run(["git", "-C", str(mine), "remote", "add", "origin", str(remote)], check=True)
    cid = kehu("customer", "add", "--name", "李雷", store=mine).out.strip()
    assert kehu("sync", store=mine).code == 0
    return remote, mine, cid


@pytest.mark.parametrize("args", [("check",), ("customer", "list"), ("customer", "show", "{cid}"),
                                  ("search", "李"), ("report", "products")])
def test_a_file_name_that_is_not_utf8_is_named_not_an_internal_error(
        store: tuple[Path, str], args: tuple[str, ...]) -> None:
    """Every command ended in "internal error: UnicodeEncodeError": the index could not hold
    the name. Now ``kehu check`` names each such file or folder, as git quotes it, and reads none."""
    path, cid = store
    _not_utf8_names(path)
    before = _tree(path)
    result = kehu(*(a.format(cid=cid) for a in args), store=path)
    no_traceback(result)
    assert _tree(path) == before
    checked = kehu("check", store=path)
    assert checked.code == 1
    assert "interactions/\\xff\\xfe.yaml:1: the name is not UTF-8 text" in checked.out, checked.out
    assert "customers/\\xb2\\xe2:1: the name is not UTF-8 text" in checked.out, checked.out
    assert "/\\xe9t\\xe9:1: the name is not UTF-8 text" in checked.out, checked.out
    assert "cannot read" not in checked.out  # one problem each, not also "no such file"


def test_a_name_that_is_not_utf8_arriving_by_git_is_seen_without_a_full_look(
        store: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A big store's index catches up with git from the paths git names, and looks at the
    folders that moved: both held such a name as a string SQLite refuses."""
    path, cid = store
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "a"]):
        subprocess.run(["git", *args], cwd=path, check=True)
    assert kehu("customer", "list", store=path).code == 0  # the index knows HEAD
    monkeypatch.setattr(freshness, "SMALL_STORE_FILES", 0)
    _not_utf8_names(path)
    for args in (["add", "-A"], ["commit", "-qm", "b"]):
        subprocess.run(["git", *args], cwd=path, check=True)
    listed = kehu("customer", "list", store=path)
    no_traceback(listed)
    assert listed.code == 0 and "李雷" in listed.out
    assert "1 customer is not listed" in listed.err, listed.err  # the folder of bytes


def test_a_name_that_is_not_utf8_pushed_by_a_colleague_is_refused_by_sync(tmp_path: Path) -> None:
    """``kehu sync`` ended in "internal error: UnicodeDecodeError" reading git's answer."""
    remote, mine, cid = synced_store(tmp_path)
    theirs = tmp_path / "theirs"
    subprocess.run(["git", "clone", "-q", str(remote), str(theirs)], check=True)
    folder = _customer_folder(theirs)
    _not_utf8_names(theirs)
    (folder / "interactions" / "2026-01-02-ok.yaml").write_bytes(_record(cid))
    for args in (["add", "-A"], ["commit", "-qm", "t"], ["push", "-q", "origin", "HEAD"]):
        subprocess.run(["git", "-C", str(theirs), *args], check=True)
    head = subprocess.run(["git", "-C", str(mine), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    files = sorted(p.relative_to(mine) for p in (mine / "customers").rglob("*"))
    synced = kehu("sync", store=mine)
    no_traceback(synced)
    assert synced.code == 1, synced.err
    assert "\\xff\\xfe.yaml:1: the name is not UTF-8 text" in synced.err, synced.err
    assert "as they were pushed" in synced.err  # the remote's, so not "run kehu sync again"
    assert subprocess.run(["git", "-C", str(mine), "rev-parse", "HEAD"], capture_output=True, text=True).stdout == head
    assert sorted(p.relative_to(mine) for p in (mine / "customers").rglob("*")) == files


@pytest.mark.parametrize("name", ["a\nb.yaml", "\x1b]0;owned\x07.yaml", "\x1b[2J.yaml"])
def test_a_file_name_with_control_characters_never_reaches_the_terminal(
        store: tuple[Path, str], name: str) -> None:
    """``kehu check`` printed the name raw: a line feed cut its ``path:line:`` line in two, ESC
    retitled the window or cleared the screen of whoever checked a colleague's commit."""
    path, _cid = store
    interactions = _customer_folder(path) / "interactions"
    interactions.mkdir(exist_ok=True)
    (interactions / name).write_bytes(_record("x"))
    checked = kehu("check", store=path)
    assert checked.code == 1
    assert not any(c in checked.out + checked.err for c in "\x1b\x07"), repr(checked.out)
    line = next(x for x in checked.out.splitlines() if "interactions/" in x)
    assert repr(name.removesuffix(".yaml"))[1:-1] + ".yaml:1: " in line, line


def _limited_memory() -> None:  # a child that reads /dev/zero without end stops at 1 GB, not the machine's
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


@pytest.mark.parametrize("given", ["/dev/zero", "{tmp}/fifo", "/dev/urandom", "{tmp}/big.txt"])
def test_an_identity_file_that_is_no_small_file_is_refused_without_reading_on(
        store: tuple[Path, str], tmp_path: Path, given: str) -> None:
    """``--identity /dev/zero`` read until memory ran out; a FIFO (``KEHU_IDENTITY`` set to a
    pipe a script forgot to feed) hung every command that opens a confidential field."""
    from pyrage import x25519

    path, cid = store
    key = x25519.Identity.generate()
    (tmp_path / "key.txt").write_text(f"{key}\n", encoding="utf-8")
    with (path / "kehu.yaml").open("a", encoding="utf-8") as f:
        f.write(f"confidential:\n  fields: [family]\n  recipients:\n    王芳: {key.to_public()}\n")
    assert kehu("--identity", str(tmp_path / "key.txt"), "customer", "set", cid, "family=妻子", store=path).code == 0
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "big.txt").write_bytes(b"#" * (3 << 20))
    identity = given.format(tmp=tmp_path)
    before = tree_hash(path)
    result = kehu_subprocess("customer", "show", cid, store=path, timeout=60, preexec_fn=_limited_memory,
                             env={**os.environ, "KEHU_IDENTITY": identity})
    assert result.returncode == 1, result.stderr
    assert f"{identity}: cannot read the identity file (it is " in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert tree_hash(path) == before


def test_a_store_deeper_than_sqlite_opens_keeps_its_index_in_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite opens paths of at most 512 bytes: a store three folders of 60 Chinese characters
    deep (550 bytes) was made by ``kehu init``, then every command said "internal error:
    OperationalError: unable to open database file"."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    deep = tmp_path.joinpath(*["客户资料" * 15] * 3) / "店"
    assert len(os.fsencode(deep / ".kehu" / "index.sqlite")) > 512
    deep.parent.mkdir(parents=True)
    assert kehu("init", str(deep)).code == 0
    added = kehu("customer", "add", "--name", "王芳", "--phone", "13912345678", store=deep)
    no_traceback(added)
    assert added.code == 0, added.err
    cid = added.out.strip()
    assert kehu("purchase", "add", cid, "--date", "2026-01-02", "--item", "茶", "--amount", "5",
                store=deep).code == 0
    for args in (("customer", "list"), ("search", "王芳"), ("customer", "show", cid), ("report", "products")):
        result = kehu(*args, store=deep)
        no_traceback(result)
        assert result.code == 0 and ("王芳" in result.out or "茶" in result.out), (args, result.err)
    assert kehu("check", store=deep).code == 0
    assert not (deep / ".kehu" / "index.sqlite").exists()  # in the user's cache


def test_spaces_around_an_owner_are_taken_off_at_every_door(store: tuple[Path, str]) -> None:
    """``--owner " 王芳"`` (and an IME's ideographic space, a hand edit) was stored as typed,
    where an import took the spaces off its cell: no ``--owner 王芳`` list, handover or
    visit plan found those customers, and a rep's address book (``kehu serve``) left them out."""
    path, _cid = store
    added = kehu("customer", "add", "--name", "甲", "--owner", " 王芳 ", "--level", " A ", store=path)
    assert added.code == 0, added.err
    other = kehu("customer", "add", "--name", "乙", store=path).out.strip()
    assert kehu("customer", "set", other, "owner=\u3000王芳", store=path).code == 0
    third = kehu("customer", "add", "--name", "丙", store=path).out.strip()
    profile = next((path / "customers").glob(f"*/{third}/customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8") + "owner: ' 王芳'\n", encoding="utf-8")
    assert kehu("check", store=path).code == 0
    listed = kehu("customer", "list", "--owner", "王芳", store=path).out
    assert all(name in listed for name in ("甲", "乙", "丙", "李雷")), listed
    assert "owner: 王芳\n" in next((path / "customers").glob(f"*/{other}/customer.yaml")).read_text(encoding="utf-8")
    assert kehu("handover", "王芳", "李四", store=path).code == 0
    assert kehu("customer", "list", "--owner", "王芳", store=path).out.strip() == ""


def test_a_store_or_a_repository_inside_a_store_is_refused_before_sync_shares_it(tmp_path: Path) -> None:
    """``kehu init sub`` inside a store was made with exit 0; the outer ``kehu sync`` then committed
    and pushed ``sub`` as a submodule (a gitlink), which every other clone's sync refuses to merge,
    while ``kehu check`` said ok. So was a ``git clone`` made in the store's folder."""
    remote, mine, cid = synced_store(tmp_path)
    for inside in (mine / "sub", mine / "templates" / "shop", mine / "docs" / "a" / "b"):
        made = kehu("init", str(inside))
        assert made.code == 1 and f"is inside the store {mine}" in made.err, made.err
        assert not inside.exists()
    folder = _customer_folder(mine)
    for repo in (mine / "docs" / "old-clone", folder / "attachments"):
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        (repo / "a.txt").write_text("x", encoding="utf-8")
        checked = kehu("check", store=mine)
        assert checked.code == 1 and f"{repo}/.git:1: a git repository inside the store" in checked.out, checked.out
        synced = kehu("sync", store=mine)
        assert synced.code == 1 and "a git repository inside the store" in synced.err, synced.err
        listed = subprocess.run(["git", "-C", str(mine), "ls-tree", "-r", "@{upstream}"], capture_output=True,
                                text=True, check=True).stdout
        assert "160000" not in listed and cid in listed
        subprocess.run(["rm", "-rf", str(repo)], check=True)
    assert kehu("sync", store=mine).code == 0


@pytest.mark.parametrize("name", ["shop ", "shop\n", "店\t"])
def test_init_in_a_folder_whose_name_ends_in_a_space_or_a_line_feed(tmp_path: Path, name: str) -> None:
    """git's answer (``rev-parse --show-toplevel``) was ``strip()``-ed into another folder's
    name: "internal error: ValueError" after the store was half made."""
    made = kehu("init", str(tmp_path / name))
    no_traceback(made)
    assert made.code == 0, made.err
    added = kehu("customer", "add", "--name", "王芳", store=tmp_path / name)
    assert added.code == 0, added.err
    assert kehu("check", store=tmp_path / name).code == 0


@pytest.mark.parametrize(("mark", "end"), [(b"\xef\xbb\xbf", b"\r\n"), (b"", b"\r\n"), (b"\xef\xbb\xbf", b"\n"),
                                           (b"", b"\r")])
def test_kehu_keys_keeps_kehu_yamls_line_ends_and_byte_order_mark(
        store: tuple[Path, str], mark: bytes, end: bytes) -> None:
    """``kehu keys add`` rewrote a kehu.yaml saved by a Windows editor with its byte order mark
    dropped and a mix of line ends (the commented lines kept CRLF, the rest LF): every line
    changed in the diff the team shares."""
    from pyrage import x25519

    path, _cid = store
    config = path / "kehu.yaml"
    before = config.read_bytes().replace(b"\n", end)
    config.write_bytes(mark + before)
    key = x25519.Identity.generate().to_public()
    assert kehu("keys", "add", "王芳", str(key), store=path).code == 0
    after = config.read_bytes()
    assert after.startswith(mark + before) and after.count(b"\xef\xbb\xbf") == len(mark) // 3
    assert after.count(end) == after.count(end[-1:]) and f"王芳: {key}".encode() + end in after, after
    assert kehu("check", store=path).code == 0


@pytest.mark.skipif("libfaketime" in os.environ.get("LD_PRELOAD", ""),
                    reason="under faketime the closed descriptor 1 is taken by libfaketime's shared clock, which "
                           "the command's output would then overwrite for every process of the run")
@pytest.mark.parametrize("args", [("customer", "list"), ("customer", "show", "{cid}"), ("report", "products"),
                                  ("customer", "add", "--name", "王芳")])
def test_a_closed_standard_output_is_no_internal_error(store: tuple[Path, str], args: tuple[str, ...]) -> None:
    """``kehu customer list >&-`` (a script, a service started without one) ended in "internal
    error: AttributeError: 'NoneType' object has no attribute 'write'", exit 1, where `kehu check`
    dropped its text and went on: now every command's output goes to /dev/null alike."""
    path, cid = store
    # the shell closes the standard output and runs kehu (a preexec_fn in this process, which
    # faketime's library runs threaded in `faketime ... make test`, broke the clocks of every
    # process the test worker started after it)
    argv = [sys.executable, "-m", "kehu_core", "--store", str(path), *(a.format(cid=cid) for a in args)]
    result = subprocess.run(["sh", "-c", 'exec "$0" "$@" >&-', *argv], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_a_sheets_date_followed_by_anything_but_a_time_is_refused_at_its_line(
        store: tuple[Path, str], tmp_path: Path) -> None:
    """A date cell was read up to its first space: ``2026-11-01 至 2026-11-30`` (a range) and
    ``2026-11-01 25:00`` were imported as sales of 2026-11-01 with exit 0, where ``--date``
    and a hand edit refuse both. A real time of day after the date is still taken."""
    path, _cid = store
    sheet = tmp_path / "sales.csv"
    sheet.write_text("name,phone,date,item,amount\n"
                     "李雷,13800138000,2026-11-01 至 2026-11-30,甲,5\n"
                     "李雷,13800138000,2026-11-01 25:00,乙,5\n"
                     "李雷,13800138000,2026/11/1 9:05:00,丙,5\n"
                     "李雷,13800138000,2026-11-01T10:30:15+08:00,丁,5\n", encoding="utf-8")
    result = kehu("import", str(sheet), store=path)
    no_traceback(result)
    assert result.code == 1, result.err
    assert f"{sheet}:2: column C (date):" in result.err and f"{sheet}:3: column C (date):" in result.err, result.err
    assert f"{sheet}:4:" not in result.err and f"{sheet}:5:" not in result.err, result.err
    items = "".join(p.read_text(encoding="utf-8") for p in (path / "customers").glob("*/*/interactions/*.yaml"))
    assert "丙" in items and "丁" in items and "甲" not in items and "乙" not in items


@pytest.mark.parametrize("kind", ["link", "fifo", "folder"])
def test_undo_of_a_file_replaced_by_a_link_fifo_or_folder_is_refused_as_changed(
        store: tuple[Path, str], tmp_path: Path, kind: str) -> None:
    """A profile replaced since the change (a colleague's link to a file outside, a FIFO, a
    folder) ended ``kehu undo`` in "internal error: YamlFileError": now it is "changed since",
    nothing written, nothing followed."""
    path, cid = store
    assert kehu("customer", "set", cid, "level=A", store=path).code == 0
    profile = next((path / "customers").glob(f"*/{cid}/customer.yaml"))
    victim = tmp_path / "victim.txt"
    victim.write_text("outside\n", encoding="utf-8")
    profile.unlink()
    {"link": lambda: profile.symlink_to(victim), "fifo": lambda: os.mkfifo(profile),
     "folder": lambda: profile.mkdir()}[kind]()
    result = kehu_subprocess("undo", store=path, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "internal error" not in result.stderr and "changed since" in result.stderr, result.stderr
    assert victim.read_text(encoding="utf-8") == "outside\n"
