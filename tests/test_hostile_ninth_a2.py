"""Variants of issue 16's kinds 1 to 4 found by the ninth outside round (A, 2026-12-05), continued
from ``test_hostile_ninth_a.py``: each failed on the code before its fix. See docs/reliability.md,
"The outside attacker's variants"."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tui.screens.snooze import parse_until

from . import test_hostile_limits
from .conftest import kehu
from .test_hostile_ninth_a import synced_store

# the fixtures of a store of one customer, copied for each test
base, store = test_hostile_limits.base, test_hostile_limits.store
no_traceback = test_hostile_limits.no_traceback


@pytest.mark.parametrize("where", ["interaction", "ledger", "profile"])
@pytest.mark.parametrize("value", ["0", "1699920000", "'1699920000'", "86400.0"])
def test_a_number_where_a_date_belongs_is_a_problem_not_a_day_of_1970(
        store: tuple[Path, str], where: str, value: str) -> None:
    """pydantic reads a number as seconds since 1970: a hand-edited visit (or a ledger entry, a
    profile's ``created``) dated ``0`` or ``1699920000`` was a record of 1970-01-01 or 2023-11-14
    that ``kehu check`` called ok, where every command refuses such a date."""
    path, cid = store
    folder = next((path / "customers").glob(f"*/{cid}"))
    if where == "interaction":
        (folder / "interactions").mkdir(exist_ok=True)
        target = folder / "interactions" / "2026-01-02-hand.yaml"
        target.write_text(f"kind: visit\ndate: {value}\ntext: hi\n", encoding="utf-8")
    elif where == "ledger":
        target = folder / "points.ledger.yaml"
        target.write_text(f"- {{id: a1, date: {value}, reason: x, delta: 5}}\n", encoding="utf-8")
    else:
        target = folder / "customer.yaml"
        kept = [line for line in target.read_text(encoding="utf-8").splitlines() if not line.startswith("created:")]
        target.write_text("\n".join([*kept, f"created: {value}"]) + "\n", encoding="utf-8")
    checked = kehu("check", store=path)
    no_traceback(checked)
    assert checked.code == 1, checked.err
    assert f"{target}:" in checked.out and "is no date; write it as YYYY-MM-DD" in checked.out, checked.out


@pytest.mark.parametrize(("typed", "day"), [("2026/11/1", "2026-11-01"), ("２０２６-１１-０１", "2026-11-01"),
                                            ("20261101", None), ("2026-W44-1", None)])
def test_today_and_every_date_option_take_one_spelling_of_a_day(
        store: tuple[Path, str], typed: str, day: str | None) -> None:
    """``--today`` read days with Python's ISO reader (``20261101``, ``2026-W44-1`` taken,
    ``2026/11/1`` refused), the date options with a reader of their own (the other way round):
    a script's day worked in one option and not the other. The TUI's forms took the first."""
    path, cid = store
    today = kehu("--today", typed, "reminders", store=path)
    added = kehu("--today", "2026-12-01", "purchase", "add", cid, "--date", typed, "--item", "茶", "--amount", "5",
                 store=path)
    if day is None:
        assert today.code == 2 and added.code == 2, (today.err, added.err)
        with pytest.raises(ValueError):
            parse_until(typed, __import__("datetime").date(2026, 1, 1))
    else:
        assert today.code == 0 and added.code == 0, (today.err, added.err)
        assert f"date: {day}" in "".join(p.read_text(encoding="utf-8") for p in
                                         (path / "customers").glob(f"*/{cid}/interactions/*.yaml"))
        assert parse_until(typed, __import__("datetime").date(2026, 1, 1)).isoformat() == day


def test_folders_nested_past_pythons_stack_under_customers_are_listed_without_recursion(
        store: tuple[Path, str]) -> None:
    """A colleague's commit can nest folders 1 500 deep under ``customers/`` (git keeps any
    depth): the index walked them by recursion, and every command ended in "internal error:
    RecursionError". Now the file at the bottom is named by ``kehu check``; the rest lists."""
    import os

    path, _cid = store
    deep = path / "customers" / "zz"
    deep.mkdir()
    fd = os.open(deep, os.O_RDONLY)
    try:  # one level at a time, relative to the last: the whole path is past what open() takes
        for _ in range(1500):
            os.mkdir("a", dir_fd=fd)
            inner = os.open("a", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        os.close(os.open("stray.yaml", os.O_WRONLY | os.O_CREAT, dir_fd=fd))
    finally:
        os.close(fd)
    try:
        listed = kehu("customer", "list", store=path)
        no_traceback(listed)
        assert listed.code == 0 and "李雷" in listed.out
        checked = kehu("check", store=path)
        no_traceback(checked)
        assert checked.code == 1 and "/a/a/stray.yaml:1: " in checked.out, checked.out[-300:]
    finally:  # by rm, whose walk is a loop: pytest's cleanup of old tmp folders (shutil.rmtree,
        # a recursion in Python 3.11) ended later test sessions in RecursionError on this tree
        subprocess.run(["rm", "-rf", str(deep)], check=True)


@pytest.mark.parametrize(("where", "line"), [("profile", "payment_terms: true"), ("feedback", "rating: true"),
                                             ("profile", "payment_terms: false")])
def test_yes_or_no_where_a_number_belongs_is_a_problem_not_one(
        store: tuple[Path, str], where: str, line: str) -> None:
    """pydantic takes YAML's ``true`` for 1: a hand-edited ``payment_terms: true`` was one day's
    terms (``false``: none) that ``kehu check`` called ok, where ``customer set
    payment_terms=true`` is refused; a feedback's ``rating: true`` one star."""
    path, cid = store
    folder = next((path / "customers").glob(f"*/{cid}"))
    if where == "profile":
        target = folder / "customer.yaml"
        target.write_text(target.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    else:
        (folder / "interactions").mkdir(exist_ok=True)
        target = folder / "interactions" / "2026-01-02-fb.yaml"
        target.write_text(f"kind: feedback\ndate: 2026-01-02\ntext: ok\n{line}\n", encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"{target}:" in checked.out, checked.out
    assert "is yes or no, not a number" in checked.out, checked.out
    assert kehu("customer", "set", cid, "payment_terms=true", store=path).code == 1


def test_an_imported_files_name_never_drives_the_terminal(store: tuple[Path, str], tmp_path: Path) -> None:
    """A sheet from a colleague's zip named with ESC, BEL and a line feed: ``kehu import *.csv``
    printed the name raw in each ``file:line:`` problem and in the summary (the window retitled,
    one line cut in two). Now it is printed as git quotes names."""
    path, _cid = store
    sheet = tmp_path / "\x1b]0;owned\x07x\nfake.csv"
    sheet.write_text("name,phone\n王芳,13912340021\nbad,abc\n", encoding="utf-8")
    result = kehu("import", str(sheet), store=path)
    assert result.code == 1
    said = result.out + result.err
    assert "\x1b" not in said and "\x07" not in said, repr(said)
    assert "\\x1b]0;owned\\x07x\\nfake.csv:3: column B (phone): not a phone number" in result.err, result.err
    assert "\\x1b]0;owned\\x07x\\nfake.csv:2)" in result.out, result.out


@pytest.mark.parametrize("tag", ["a,b", "c、d", "e/f", "g|h", "i；j"])
def test_a_tag_holding_what_separates_tags_is_refused_at_every_door(
        store: tuple[Path, str], tmp_path: Path, tag: str) -> None:
    """``--tag "a,b"`` (and a hand edit) kept one tag that its own export wrote as ``a,b`` and an
    import of that export read as two (a sheet's cell splits on each of ``, ，; ；、/ |``): the
    tags changed by a round trip. Now no tag or interest holds one, at every door."""
    path, cid = store
    added = kehu("customer", "add", "--name", "王芳", "--tag", tag, store=path)
    no_traceback(added)
    assert added.code == 1 and "give them as two" in added.err, added.err
    assert kehu("customer", "set", cid, f"interests={tag}", store=path).code in (0, 1)
    profile = next((path / "customers").glob(f"*/{cid}/customer.yaml"))
    kept = [line for line in profile.read_text(encoding="utf-8").splitlines()
            if not line.startswith(("tags:", "- ", "interests:"))]
    profile.write_text("\n".join([*kept, "tags:", f"- '{tag}'"]) + "\n", encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"{profile}:" in checked.out and "give them as two" in checked.out, checked.out


def test_a_hidden_link_fifo_or_folder_under_customers_is_named_and_never_shared(tmp_path: Path) -> None:
    """The index left out every hidden name under ``customers/``: ``customers/.passwd`` a link to
    ``/etc/passwd`` passed ``kehu check``, and ``kehu sync`` committed and pushed it (the other
    clones' syncs refuse a link). Hidden regular files (``.gitkeep``, a killed write's temporary
    file) are still none of kehu's business."""
    import os

    remote, mine, cid = synced_store(tmp_path)
    folder = next((mine / "customers").glob(f"*/{cid}"))
    (mine / "customers" / ".passwd").symlink_to("/etc/passwd")
    os.mkfifo(folder / ".pipe")
    (folder / ".hidden").mkdir()
    (folder / ".keep").write_text("", encoding="utf-8")
    checked = kehu("check", store=mine)
    assert checked.code == 1, checked.out
    for name in ("customers/.passwd:1: is a symbolic link", f"{cid}/.pipe:1: is a FIFO", f"{cid}/.hidden:1: "):
        assert name in checked.out, checked.out
    assert ".keep" not in checked.out
    synced = kehu("sync", store=mine)
    assert synced.code == 1, synced.err
    shared = subprocess.run(["git", "-C", str(mine), "ls-tree", "-r", "--name-only", "@{upstream}"],
                            capture_output=True, text=True, check=True).stdout
    assert ".passwd" not in shared and ".pipe" not in shared


@pytest.mark.parametrize("value", ["'2026-02-30'", "'0000-01-01'", "'9999-12-31'", "0d", "99999999999d", "9999999y"])
def test_a_segments_date_or_span_kehu_cannot_keep_is_found_by_check(store: tuple[Path, str], value: str) -> None:
    """A segment's ``last_purchase_before: 2026-02-30`` (or a span of nothing, or past any date)
    passed ``kehu check``, then ``kehu segment show`` and ``kehu send`` ended in "internal error:
    ValueError" (OverflowError); check did not read the segments at all (a typo'd condition too)."""
    path, _cid = store
    config = path / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8")
                      + f"segments:\n  lapsed:\n    last_purchase_before: {value}\n", encoding="utf-8")
    line = len(config.read_text(encoding="utf-8").splitlines())
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"kehu.yaml:{line}: segments.lapsed.last_purchase_before:" in checked.out, \
        checked.out
    shown = kehu("segment", "show", "lapsed", store=path)
    no_traceback(shown)
    assert shown.code == 1 and f"kehu.yaml:{line}:" in shown.err, shown.err


def test_a_segments_owner_with_spaces_matches_the_owner_every_door_stores(store: tuple[Path, str]) -> None:
    """Every door takes the spaces off an owner it stores; a segment's ``owner: [' 王芳']`` kept
    them, and matched no customer."""
    path, _cid = store  # 李雷's owner is 王芳
    config = path / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "segments:\n  mine:\n    owner: [' 王芳 ']\n",
                      encoding="utf-8")
    shown = kehu("segment", "show", "mine", store=path)
    assert shown.code == 0 and "李雷" in shown.out, shown.out + shown.err


def test_merging_a_customer_whose_folder_nests_past_pythons_stack_is_no_recursion(
        store: tuple[Path, str]) -> None:
    """``kehu customer merge`` listed the merged customer's folder with ``rglob``, a recursion:
    folders 1 200 deep in it (a colleague's commit) ended the merge in RecursionError."""
    import os

    path, cid = store
    other = kehu("customer", "add", "--name", "李雷二", store=path).out.strip()
    assert kehu("interaction", "add", other, "--kind", "note", "--date", "2026-01-02", "--text", "hi",
                store=path).code == 0
    folder = next((path / "customers").glob(f"*/{other}"))
    fd = os.open(folder, os.O_RDONLY)
    for _ in range(1200):
        os.mkdir("a", dir_fd=fd)
        inner = os.open("a", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(fd)
    try:
        merged = kehu("customer", "merge", cid, other, store=path)
        no_traceback(merged)
        assert merged.code == 0, merged.err
        assert not folder.exists()
        assert "hi" in kehu("customer", "show", cid, store=path).out
    finally:  # pytest's own cleanup (shutil.rmtree) recurses
        subprocess.run(["rm", "-rf", str(folder)], check=True)
