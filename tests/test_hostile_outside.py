"""Variants of the issue-16 attack kinds, found by playing the outside attacker against the
real CLI (the list of what was tried is in docs/reliability.md). Each failed before its fix:
a link in ``.kehu/`` made kehu write its index and journal outside the store, a planted
journal entry let ``kehu undo`` write outside it, a FIFO in kehu.yaml's place or given to
``kehu import`` hung kehu, ``/dev/zero`` was read without end, an export over a FIFO or a
device replaced it with a regular file (as root, ``/dev/full`` itself), a file named
``customers`` passed ``check`` as an empty store, a damaged index was an internal error on
every command, date options out of kehu's range, ``--days 999999999`` and ``--amount 1e9999``
were tracebacks, ``--limit -1`` silently dropped a row, a birthday in year 1 passed, an empty
FROM_REP handed over every customer, and ESC in a name or a ledger line reached the terminal
of whoever listed it."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from kehu_core import hookimpl
from kehu_core.ids import shard
from kehu_core.testing import add_customer, make_store, run_kehu

from .conftest import kehu
from .test_hostile import tree_hash


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    path = tmp_path_factory.mktemp("outside") / "base"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "李雷", "--phone", "13800138000", store=path).out.strip()
    purchase = kehu("purchase", "add", cid, "--item", "茶", "--price", "100", "--qty", "3",
                    "--date", "2026-11-01", store=path).out.strip().splitlines()[-1]
    assert kehu("customer", "set", cid, "owner=王芳", store=path).code == 0
    shutil.rmtree(path / ".kehu", ignore_errors=True)
    return path, cid, purchase


@pytest.fixture
def world(base: tuple[Path, str, str], tmp_path: Path) -> tuple[Path, str, str, Path]:
    """A copy of the base store, and a folder outside it holding a 'secret'."""
    path = tmp_path / "store"
    shutil.copytree(base[0], path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("root:x:0:0:secret\n", encoding="utf-8")
    return path, base[1], base[2], outside


def own_process(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """kehu in a process of its own with a deadline: what these tests guard against is a hang."""
    return subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store), *args],
                          capture_output=True, text=True, timeout=60)


def no_traceback(text: str) -> None:
    assert "Traceback" not in text and "internal error" not in text, text[-2000:]


# --- kind 1: links and special files in .kehu/, kehu.yaml, customers/ ---------------------------


def _link_state(store: Path, outside: Path, rel: str, cid: str) -> None:
    """Write once (kehu makes .kehu/ and its journal), then put ``rel`` outside with a link to
    it in its place."""
    # in processes of their own: no connection of this one left open on the index moved out
    assert own_process(store, "customer", "set", cid, "notes=before").returncode == 0
    assert own_process(store, "customer", "list").returncode == 0
    inside = store / rel
    target = outside / rel.replace("/", "_")
    shutil.move(str(inside), str(target))
    inside.symlink_to(target)


@pytest.mark.parametrize("rel", [".kehu", ".kehu/journal", ".kehu/index.sqlite"])
def test_a_link_in_the_state_folder_is_never_followed(rel: str, world: tuple[Path, str, str, Path]) -> None:
    store, cid, _, outside = world
    _link_state(store, outside, rel, cid)
    before, outside_before = tree_hash(store), tree_hash(outside)
    for argv in (["customer", "set", cid, "notes=x"], ["customer", "list"]):
        result = kehu(*argv, store=store)
        assert result.code == 1, (argv, result.out, result.err)
        assert f"{store / rel}: is a symbolic link" in result.err, result.err
        no_traceback(result.out + result.err)
    assert tree_hash(outside) == outside_before  # no index, lock or journal entry written there
    assert tree_hash(store) == before


@pytest.mark.parametrize(("rel", "kind", "what"), [
    (".kehu/index.sqlite", "fifo", "a FIFO (named pipe)"), (".kehu/journal", "fifo", "a FIFO (named pipe)"),
    (".kehu/journal", "file", "a file"), (".kehu/lock", "fifo", "a FIFO (named pipe)"),
    (".kehu/index.sqlite", "folder", "a folder"),
])
def test_a_state_file_of_another_kind_is_refused_before_it_is_used(
        rel: str, kind: str, what: str, world: tuple[Path, str, str, Path]) -> None:
    """A FIFO as the index: "internal error: OperationalError: disk I/O error" on every command.
    A FIFO or a file as the journal: `customer set` changed the record, then said "File
    exists" with exit 1. Each is now refused by name before anything is read or written."""
    store, cid, _, _outside = world
    assert own_process(store, "customer", "set", cid, "notes=before").returncode == 0
    path = store / rel
    for old in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink(missing_ok=True)
    {"fifo": os.mkfifo, "file": lambda p: p.write_text("x"), "folder": os.mkdir}[kind](path)
    before = tree_hash(store)
    for argv in (["customer", "set", cid, "notes=after"], ["customer", "list"], ["check"]):
        result = own_process(store, *argv)
        assert result.returncode == 1, (argv, result.stdout, result.stderr)
        assert f"{path}: is {what}, not what kehu keeps there" in result.stderr, result.stderr
        no_traceback(result.stdout + result.stderr)
    assert tree_hash(store) == before  # the record not changed


def test_a_journal_entry_naming_a_path_outside_the_store_is_refused(world: tuple[Path, str, str, Path]) -> None:
    """``.kehu/`` can arrive by git (``git add -f``); an undo writes every path of its entry."""
    store, cid, _, outside = world
    assert kehu("customer", "set", cid, "notes=x", store=store).code == 0
    entry = sorted((store / ".kehu" / "journal").glob("*.json"))[-1]
    data = json.loads(entry.read_text(encoding="utf-8"))
    victim = outside / "victim"
    data["files"].append({"path": os.path.relpath(victim, store), "before": "PLANTED\n", "after": None})
    entry.write_text(json.dumps(data), encoding="utf-8")
    before = tree_hash(store)
    for argv in (["undo"], ["undo", "--list"]):
        result = kehu(*argv, store=store)
        assert result.code == 1, (argv, result.out)
        assert "not a journal entry kehu wrote (a path outside the store)" in result.err, result.err
    assert not victim.exists()
    assert tree_hash(store) == before


def test_a_fifo_in_the_place_of_kehu_yaml_is_refused_without_waiting(world: tuple[Path, str, str, Path]) -> None:
    store = world[0]
    (store / "kehu.yaml").unlink()
    os.mkfifo(store / "kehu.yaml")
    result = own_process(store, "check")
    assert result.returncode == 1
    assert f"{store / 'kehu.yaml'}:1: is a FIFO (named pipe)" in result.stderr, result.stderr
    no_traceback(result.stdout + result.stderr)


def test_a_file_named_customers_is_no_empty_store(world: tuple[Path, str, str, Path]) -> None:
    store = world[0]
    shutil.rmtree(store / "customers")
    (store / "customers").write_text("not a folder\n", encoding="utf-8")
    for argv in (["check"], ["customer", "list"]):
        result = kehu(*argv, store=store)
        assert result.code == 1, (argv, result.err)  # was "ok: 0 customers, no problems"
        assert f"{store / 'customers'}:1: is a file, not the folder of customer records" in result.err


def test_a_damaged_index_is_rebuilt_not_an_internal_error(world: tuple[Path, str, str, Path]) -> None:
    store, cid = world[0], world[1]
    assert own_process(store, "customer", "list").returncode == 0
    for argv in (["customer", "list"], ["search", "李雷"], ["check"]):
        (store / ".kehu" / "index.sqlite").write_bytes(b"garbage, not SQLite\n")
        result = own_process(store, *argv)
        no_traceback(result.stdout + result.stderr)
        assert result.returncode == 0, (argv, result.stderr)
        assert argv == ["check"] or cid in result.stdout


# --- kinds 1 and 8: what kehu import is given -------------------------------------------------


@pytest.mark.parametrize("what", ["fifo", "/dev/zero"])
def test_import_refuses_a_fifo_or_a_device_without_reading_it(what: str, world: tuple[Path, str, str, Path],
                                                              tmp_path: Path) -> None:
    store = world[0]
    if what == "fifo":
        source = tmp_path / "contacts.vcf"
        os.mkfifo(source)  # nobody ever writes to it: opening it for reading would wait for ever
    else:
        source = Path(what)  # size 0 for file_mb, and endless
    before = tree_hash(store)
    result = own_process(store, "import", "--format", "vcard", str(source))
    assert result.returncode == 1
    assert f"{source}: is a " in result.stderr and "kehu imports regular files only" in result.stderr
    no_traceback(result.stdout + result.stderr)
    assert tree_hash(store) == before


# --- kind 4: what an export writes over -------------------------------------------------------


def test_an_export_into_a_fifo_writes_into_it_and_never_replaces_it(world: tuple[Path, str, str, Path],
                                                                    tmp_path: Path) -> None:
    """A rename over a device or a pipe puts a regular file in its place (as root, over
    ``/dev/full`` or ``/dev/null`` for every program); ``kehu export ... /dev/stdout`` works."""
    store = world[0]
    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = own_process(store, "export", "--format", "csv", str(fifo))
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert fifo.is_fifo()
    assert "李雷" in received[0].decode("utf-8-sig")
    assert not list(tmp_path.glob(".out.csv*"))  # no temporary file left beside it


def test_an_export_that_cannot_be_written_into_a_device_is_a_message(world: tuple[Path, str, str, Path],
                                                                     tmp_path: Path) -> None:
    """A device of its own (never the machine's /dev/full: a kehu without the fix, run as
    root, replaced that one with a regular file)."""
    full = tmp_path / "full"
    try:
        os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))  # Linux's "full" device
    except (OSError, AttributeError):
        pytest.skip("cannot make a device node here (not root, or not Linux)")
    result = own_process(world[0], "export", "--format", "csv", str(full))
    assert result.returncode == 1
    assert f"kehu: {full}: No space left on device" in result.stderr, result.stderr
    assert full.is_char_device()


# --- kind 3: every option's values, and text no terminal should get -------------------------------


REFUSED = [
    (["points", "{id}", "--as-of", "9999-12-31"], "outside the dates kehu keeps"),
    (["points", "{id}", "--as-of", "0001-01-01"], "outside the dates kehu keeps"),
    (["visits", "plan", "--owner", "王芳", "--date", "0001-01-01"], "outside the dates kehu keeps"),
    (["purchase", "add", "{id}", "--amount", "5", "--date", "2026-11-01", "--due", "99999-01-01"], "is not a date"),
    (["reminders", "--days", "999999999"], "999999999 is not in the range 1<=x<=3660"),
    (["reminders", "--days", "99999999999999999999999"], "is not in the range"),
    (["purchase", "pay", "{id}", "{purchase}", "--amount", "1e9999"], "at most 12 digits before the point"),
    (["purchase", "add", "{id}", "--amount", "1e20", "--date", "2026-11-01"], "at most 12 digits before the point"),
    (["report", "products", "--limit", "-1"], "-1 is not in the range 0<=x<=1000000000"),
    (["customer", "list", "--limit", "-1"], "is not in the range"),
    (["undo", "--list", "--limit", "99999999999999999999"], "is not in the range"),
    (["customer", "set", "{id}", "birthday=0001-01-01"], "outside the dates kehu keeps"),
    (["customer", "add", "--name", "x", "--birthday", "2300-01-01"], "outside the dates kehu keeps"),
    (["handover", "", "李四"], "FROM_REP is empty"),
    (["handover", " ", "李四"], "FROM_REP is empty"),
    (["customer", "add", "--name", "\x1b[2J\x1b[31mEVIL\x07"], "Name: holds the control character U+001B"),
    (["customer", "set", "{id}", "notes=a\x1b]0;title\x07b"], "notes: holds the control character U+001B"),
    (["customer", "set", "{id}", "nickname=\x9b31m"], "nickname: holds the control character U+009B"),
    (["points", "redeem", "{id}", "10", "--reason", "gift\x1b[8m"], "holds the control character U+001B"),
]


@pytest.mark.parametrize("argv,message", REFUSED, ids=[repr(" ".join(a))[:60] for a, _ in REFUSED])
def test_a_hostile_option_value_is_refused_with_a_message(argv: list[str], message: str,
                                                          world: tuple[Path, str, str, Path]) -> None:
    store, cid, purchase, _ = world
    before = tree_hash(store)
    result = kehu(*[a.replace("{id}", cid).replace("{purchase}", purchase) for a in argv], store=store)
    no_traceback(result.out + result.err)
    assert result.code in (1, 2), (result.code, result.out)  # 2: a usage error, as click says it
    assert message in result.err, result.err
    assert tree_hash(store) == before


def test_line_breaks_tabs_and_nel_stay_allowed_in_text(world: tuple[Path, str, str, Path]) -> None:
    store, cid = world[0], world[1]
    notes = "line one\nline two\twith a tab\u0085and a NEL from a chat app"
    assert kehu("customer", "set", cid, f"notes={notes}", store=store).code == 0
    shown = json.loads(kehu("customer", "show", cid, "--json", store=store).out)
    assert shown["notes"] == notes


def test_a_control_character_in_a_hand_edited_file_is_found_by_check(world: tuple[Path, str, str, Path]) -> None:
    """YAML writes ESC escaped ("\\e"), so such a file parses: only the model's rule refuses it."""
    store, cid = world[0], world[1]
    path = store / "customers" / shard(cid) / cid / "customer.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.append('nickname: "\\e[2Jhidden"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = kehu("check", store=store)
    assert result.code == 1
    assert f"{path}:{len(lines)}: nickname: holds the control character U+001B" in result.out, result.out
    listed = kehu("customer", "list", store=store)
    assert "\x1b" not in listed.out


# --- kinds 2, 3 and 8: what an import reads ----------------------------------------------------


IMPORTS = [
    ("big-cell.csv", "sheet", "姓名,备注\n张三," + "x" * 200_000 + "\n",
     "big-cell.csv:2: cannot read this line of the CSV: field larger than field limit"),
    ("google.csv", "google-csv", "Name,Given Name,Phone 1 - Value,Notes\nA,A,13800138009," + "x" * 200_000 + "\n",
     "google.csv:2: cannot read this line of the CSV: field larger than field limit"),
    ("amounts.csv", "sheet", "姓名,购买日期,金额\n郑十,2026-11-01,1e9999\n",
     "amounts.csv:2: column C (金额): amount '1e9999': amounts have at most 12 digits before the point"),
    ("escape.vcf", "vcard", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:\x1b[2JEvil\r\nEND:VCARD\r\n",
     "escape.vcf:1: line 3 (FN): holds the control character U+001B"),
]


@pytest.mark.parametrize("name,fmt,content,message", IMPORTS, ids=[i[0] for i in IMPORTS])
def test_an_import_row_kehu_cannot_read_is_a_message_at_its_line(name: str, fmt: str, content: str, message: str,
                                                                 world: tuple[Path, str, str, Path],
                                                                 tmp_path: Path) -> None:
    """A cell over the csv module's limit, an amount of 1e9999: were internal errors."""
    store = world[0]
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    before = tree_hash(store)
    result = kehu("import", "--format", fmt, str(source), store=store)
    no_traceback(result.out + result.err)
    assert result.code == 1
    assert message in result.err, result.err
    assert tree_hash(store) == before


# --- kinds 2 and 5: a copied ledger entry, a file of classic Mac line ends -------------------------


def test_a_ledger_entry_copied_is_found_not_counted_twice(world: tuple[Path, str, str, Path]) -> None:
    """A ledger line pasted twice (a hand edit, a cherry-pick) doubled the customer's points and
    passed ``check``: the same entry id twice is a problem at the second line."""
    store, cid = world[0], world[1]
    ledger = store / "customers" / shard(cid) / cid / "points.ledger.yaml"
    lines = ledger.read_text(encoding="utf-8").splitlines()
    lines.append(lines[-1])
    ledger.write_text("\n".join(lines) + "\n", encoding="utf-8")
    entry = lines[-1].split("id: ")[1].split(",")[0]
    for argv in (["check"], ["points", cid]):
        result = kehu(*argv, store=store)
        assert result.code == 1, (argv, result.out)
        assert f"{ledger}:{len(lines)}: entry {entry} is here twice" in result.out + result.err


def test_an_edit_keeps_classic_mac_line_ends(world: tuple[Path, str, str, Path]) -> None:
    store, cid = world[0], world[1]
    path = store / "customers" / shard(cid) / cid / "customer.yaml"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r"))
    before = path.read_bytes().split(b"\r")
    assert kehu("customer", "set", cid, "notes=x", store=store).code == 0
    after = path.read_bytes()
    assert b"\n" not in after  # was: every line rewritten with LF
    assert sorted(set(after.split(b"\r")) - set(before)) == [b"notes: x"]


def test_a_name_typed_decomposed_is_found_typed_composed(world: tuple[Path, str, str, Path]) -> None:
    """"José" from a keyboard that sends "e" and a combining accent (NFD) was not found by "José"
    typed as one letter (NFC), nor the other way round."""
    import functools
    import unicodedata

    store = world[0]
    decomposed = unicodedata.normalize("NFD", "José Müller")
    cid = kehu("customer", "add", "--name", decomposed, store=store).out.strip()
    nfc = functools.partial(unicodedata.normalize, "NFC")
    for query in (nfc("José"), nfc("Müller"), unicodedata.normalize("NFD", "josé")):
        found = kehu("search", query, "--json", store=store)
        assert [c["id"] for c in json.loads(found.out)] == [cid], (query, found.err)


def test_an_id_differing_only_in_case_from_one_in_its_folder_is_refused(world: tuple[Path, str, str, Path]) -> None:
    """On a case-insensitive file system (macOS, Windows) ``kehu0`` and ``KEHU0`` in one shard
    folder are one folder: a clone there would mix two customers' files."""
    store = world[0]
    lower = next(f"kehu{n}" for n in range(100_000) if shard(f"kehu{n}") == shard(f"KEHU{n}"))
    assert kehu("customer", "add", "--name", "甲", "--id", lower, store=store).code == 0
    before = tree_hash(store)
    result = kehu("customer", "add", "--name", "乙", "--id", lower.upper(), store=store)
    assert result.code == 1
    assert f"customer id '{lower.upper()}' differs only in case from '{lower}'" in result.err, result.err
    assert tree_hash(store) == before


def test_a_card_of_millions_of_short_lines_is_refused_before_it_is_parsed(world: tuple[Path, str, str, Path],
                                                                         tmp_path: Path) -> None:
    """No property is over vcard_property_mb, yet the card is megabytes of text: 50 MB of TEL
    lines took vobject 1.9 GB and 95 s (now 112 MB, 20 s, refused); here 2.7 MB of them, in
    fewer lines than a card may have properties (150 000 short ones are refused by their
    count first, tests/test_hostile_ninth_b.py)."""
    store = world[0]
    source = tmp_path / "tels.vcf"
    source.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Big\r\n" + ("X-KEHU-MEMO:" + "备忘" * 1000 + "\r\n") * 900
                      + "END:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Small\r\nEND:VCARD\r\n", encoding="utf-8")
    before = tree_hash(store)
    result = kehu("import", "--dry-run", str(source), store=store)
    assert result.code == 1
    assert f"{source}:1: the card holds over 2 MB of text besides its photos" in result.err, result.err
    assert "Small" in result.out  # the next card, at its own line, is read as before
    assert tree_hash(store) == before


@pytest.mark.parametrize("argv,message", [
    (["customer", "add", "--name", "  \u200b "], "Name: expected a name, not only spaces or invisible characters"),
    (["customer", "add", "--name", "\u200f"], "Name: expected a name, not only spaces or invisible characters"),
    (["customer", "set", "{id}", "name=\u2060 "], "name: expected a name, not only spaces or invisible characters"),
    (["customer", "set", "{id}", "referrer={id}"], "referrer: a customer cannot have referred themself"),
])
def test_a_name_that_shows_nothing_and_a_referral_of_oneself_are_refused(
        argv: list[str], message: str, world: tuple[Path, str, str, Path]) -> None:
    """Both were stored with exit 0: an empty row in every list; a customer thanked (and
    counted in the referrals report) for bringing themself."""
    store, cid = world[0], world[1]
    before = tree_hash(store)
    result = kehu(*[a.replace("{id}", cid) for a in argv], store=store)
    assert result.code == 1
    assert message in result.err, result.err
    assert tree_hash(store) == before


# --- kind 9: what a plugin computes reaches the terminal ------------------------------------------


class _EscapingValues:
    """A plugin whose value carries terminal escapes (copied from somewhere, or hostile)."""

    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        return {"vip_note": "\x1b[2J\x1b]0;owned\x07gold"}


class _EscapingName:
    """A plugin whose value's name carries a terminal escape: its wrong result (a name is one
    line of plain text, as a profile field's), said without the escape."""

    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        return {"\x1b[8mhidden": "x"}


def test_a_plugin_value_never_sends_escapes_to_the_terminal(tmp_path: Path) -> None:
    """Records hold no control characters; a plugin's values are printed by show and list too."""
    store = make_store(tmp_path / "store", plugins={"escaping": _EscapingValues()})
    cid = add_customer(store, name="赵敏")
    shown = run_kehu(store, "customer", "show", cid)
    assert shown.code == 0, shown.err
    assert "\x1b" not in shown.out and "\x07" not in shown.out
    assert "\ufffd[2J\ufffd]0;owned\ufffdgold" in shown.out
    named = make_store(tmp_path / "named", plugins={"escaping": _EscapingName()})
    other = add_customer(named, name="赵敏")
    shown = run_kehu(named, "customer", "show", other)
    assert shown.code == 0, shown.err
    assert "\x1b" not in shown.out + shown.err and "hidden" not in shown.out
    assert "plugin 'escaping' failed in customer_values" in shown.err, shown.err


# --- kinds 1 and 5: .kehu/ arriving by git ---------------------------------------------------------


def test_a_kehu_folder_committed_by_another_clone_is_refused_before_the_merge(tmp_path: Path) -> None:
    """``.kehu/`` is ignored, so git's checkout replaces an ignored folder without asking: a
    colleague's ``git add -f .kehu`` (here a link to a folder outside) deleted this clone's
    index and undo journal and put the link in their place, and sync said it merged."""
    from .conftest import git

    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    a = tmp_path / "a"
    assert kehu("init", str(a)).code == 0
    git(a, "remote", "add", "origin", str(remote))
    cid = kehu("customer", "add", "--name", "赵敏", store=a).out.strip()
    assert kehu("sync", store=a).code == 0
    b = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(remote), str(b))
    assert kehu("customer", "set", cid, "notes=kept in b's journal", store=b).code == 0
    assert kehu("sync", store=b).code == 0
    journal = sorted(p.name for p in (b / ".kehu" / "journal").iterdir())
    outside = tmp_path / "outside"
    outside.mkdir()
    assert kehu("sync", store=a).code == 0
    shutil.rmtree(a / ".kehu")
    (a / ".kehu").symlink_to(outside)
    git(a, "add", "-f", ".kehu")
    git(a, "commit", "-qm", "add .kehu")
    git(a, "push", "-q", "origin", "HEAD")
    head = git(b, "rev-parse", "HEAD")
    result = kehu("sync", store=b)
    assert result.code == 1
    assert "holds .kehu/, kehu's own folder of each clone" in result.err, result.err
    assert git(b, "rev-parse", "HEAD") == head
    assert (b / ".kehu").is_dir() and not (b / ".kehu").is_symlink()
    assert sorted(p.name for p in (b / ".kehu" / "journal").iterdir()) == journal
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("folder", ["new\nline", "no", "123", "a: b", "#hash", "茶铺"])
def test_init_in_a_folder_of_any_name_writes_a_kehu_yaml_every_command_reads(folder: str, tmp_path: Path) -> None:
    """The folder's name became ``name:`` unquoted: a line break wrote a kehu.yaml no command
    could read (after exit 0), ``no`` became false and ``123`` a number."""
    path = tmp_path / folder
    assert kehu("init", str(path), "--no-git").code == 0
    result = kehu("check", store=path)
    assert result.code == 0, result.out + result.err
    import yaml

    # the shop's name is one line (the seventh round: a line break ended `reminders --ics`)
    assert yaml.safe_load((path / "kehu.yaml").read_text(encoding="utf-8"))["name"] == folder.replace("\n", " ")
