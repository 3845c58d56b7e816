"""The eighteenth round (A, 2026-12-06), issue 16 kinds 5 and 10: a sync killed while git
checks out the merge, the commands that answer from the index after a killed sync, and the
points ledger's refusals. Each failed on the code before its fix. See docs/reliability.md, "The
outside attacker's variants"."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kehu_core.index import freshness

from .conftest import git, kehu
from .test_hostile_git import team  # noqa: F401 (team: a fixture)
from .test_hostile_seventeenth_seventeentha import _way_on
from .test_sync_rejected_merge import written_off_in_both
from .test_team_merge import (  # noqa: F401 (remote: a fixture)
    balance,
    customer_with_points,
    ok,
    remote,
    sync,
)


def _b_adds_two_with_a_filter_on_the_second(a: Path, b: Path, script: Path, text: str) -> list[str]:
    """b adds two customers and syncs; a's git gets a smudge filter (``script``, holding
    ``text``) on the second of b's customer files in the order git writes them: a's next sync
    runs it while git writes the merged files. The two files' paths."""
    ids = [ok("customer", "add", "--name", name, store=b).strip() for name in ("乙", "丙")]
    sync(b)
    paths = sorted(git(b, "ls-files", f"customers/*/{cid}/customer.yaml").strip() for cid in ids)
    script.write_text(text, encoding="utf-8")
    script.chmod(0o755)
    git(a, "config", "filter.killer.smudge", str(script))
    attributes = a / ".git" / "info" / "attributes"
    attributes.parent.mkdir(exist_ok=True)
    attributes.write_text(f"/{paths[1]} filter=killer\n", encoding="utf-8")
    return paths


def _filter_off(a: Path) -> None:
    (a / ".git" / "info" / "attributes").unlink()
    git(a, "config", "--unset", "filter.killer.smudge")


def _killed_while_checking_out(a: Path, b: Path, scratch: Path) -> tuple[str, str]:
    """b adds two customers and syncs; a's sync is killed by git's smudge filter (a's own, set
    for the second of b's new customer files) while git writes the merged files: the first
    customer's file written, untracked (git's index not yet written), .git/index.lock held.
    The ids of b's two customers, in the order git writes them."""
    paths = _b_adds_two_with_a_filter_on_the_second(a, b, scratch / "smudge-kills", "#!/bin/sh\nkill -KILL 0\n")
    killed = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(a), "sync"],
                            capture_output=True, text=True, start_new_session=True, check=False)
    assert killed.returncode == -9, (killed.stdout, killed.stderr)
    _filter_off(a)
    assert (a / paths[0]).is_file() and not (a / paths[1]).exists()  # half checked out
    assert (a / ".git" / "index.lock").exists()
    return paths[0], paths[1]


def test_a_sync_killed_while_git_writes_the_merge_leaves_none_of_its_files_behind(
        team: tuple[Path, Path, str], remote: Path, tmp_path: Path) -> None:  # noqa: F811
    """Clone b adds two customers and syncs; clone a adds a customer of its own (not committed)
    and its sync is killed while git writes the merged files into a's working tree: b's first
    customer written, untracked, and git's index.lock left. The next command's put-back failed on
    git's index.lock ("git reset -q --hard ... failed: Unable to create index.lock"), and every
    command after it the same; with the lock removed by hand, b's customer stayed as an untracked
    file, which the next sync committed as a's own new customer. Now the put-back removes the
    stale index.lock (no process holds it) and exactly the files the killed sync wrote (untracked,
    not in the commit of a's edits, as the remote holds them), and keeps a's own new customer."""
    a, b, _cid = team
    mine = ok("customer", "add", "--name", "丁", store=a).strip()
    written, _unwritten = _killed_while_checking_out(a, b, tmp_path)
    checked = kehu("check", store=a)
    assert checked.code == 0 and "clone was put back" in checked.err, checked.err
    assert not (a / ".git" / "index.lock").exists()
    assert not (a / written).exists()
    left = git(a, "status", "--porcelain", "--untracked-files=all")
    assert written not in left and f"/{mine}/customer.yaml" in left, left
    sync(a)
    sync(b)
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
    # b's customer came by the merge, not as a's edit: a's own commit holds only a's customer
    added = git(a, "log", "--no-merges", "--author-date-order", "--diff-filter=A", "--name-only",
                "--format=%H", "-n", "1", "--", "customers/")
    assert mine in added and written not in added, added
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0
        names = {c["name"] for c in json.loads(ok("customer", "list", "--json", store=clone))}
        assert {"甲", "乙", "丙", "丁"} <= names, names




def test_a_killed_syncs_index_lock_held_by_its_git_still_running_is_left_until_it_ends(
        team: tuple[Path, Path, str], remote: Path, tmp_path: Path) -> None:  # noqa: F811
    """A sync killed while git wrote the merge, its git going on alone (only kehu was killed:
    `kill -9 PID`, the OOM killer): git's index.lock is that git's, so it is not removed.
    `kehu check` said nothing (the put-back's `git reset` failed on the lock, silently) and
    counted the colleague's half-written customer; now it says the clone is put back once that
    git has finished, and once it has, the clone is whole. (Until the twenty-first round this
    test held the lock open from its own process, which only a process table showed: the
    decision is now made from the killed sync's last git, whose id the sync notes, on any
    system; tests/test_hostile_twentyfirst_twentyfirstc.py.)"""
    a, b, _cid = team
    pid_file = tmp_path / "kehu-pid"
    # the filter kills kehu alone, then goes on as git's filter
    _b_adds_two_with_a_filter_on_the_second(a, b, tmp_path / "smudge-kills-kehu",
                                            f'#!/bin/sh\nkill -KILL "$(cat {pid_file})"\nsleep 10\ncat\n')
    kehu_sync = subprocess.Popen([sys.executable, "-m", "kehu_core", "--store", str(a), "sync"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pid_file.write_text(str(kehu_sync.pid), encoding="utf-8")
    assert kehu_sync.wait(timeout=60) == -9
    lock = a / ".git" / "index.lock"
    waiting = kehu("check", store=a)
    assert "a git command is working in this clone now" in waiting.err, waiting.err
    assert lock.exists()
    merge_finished_alone(a)


def merge_finished_alone(a: Path) -> None:
    """The killed sync's git, going on alone, finishes its merge (its ``index.lock`` gone; the
    filter that held it taken off): then ``kehu check`` is ok and the clone clean."""
    lock = a / ".git" / "index.lock"
    for _ in range(600):
        if not lock.exists():
            break
        time.sleep(0.1)
    _filter_off(a)
    checked = kehu("check", store=a)
    assert checked.code == 0, checked.err
    assert not lock.exists()
    assert git(a, "status", "--porcelain", "--untracked-files=all") == ""


ANSWERED_FROM_THE_INDEX = {
    "search": ("search", "乙"),
    "customer-list": ("customer", "list"),
    "customer-show": ("customer", "show", "{cid}"),
}


@pytest.mark.parametrize("command", ANSWERED_FROM_THE_INDEX.values(), ids=ANSWERED_FROM_THE_INDEX.keys())
def test_a_command_answered_from_the_index_after_a_killed_sync_puts_the_clone_back_first(
        command: tuple[str, ...], team: tuple[Path, Path, str], remote: Path, tmp_path: Path,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Clone b adds 乙 and 丙; clone a's sync (nothing of its own to commit: its HEAD stays) is
    killed while git writes b's files into a's working tree. In a big store (past
    SMALL_STORE_FILES the index trusts itself while HEAD has not moved) `kehu search`, the fast
    `customer list` and `customer show` answered from the index alone: nothing said, the marker
    and git's index.lock left, the clone half-merged (乙's file in it, untracked, for the next
    sync to commit as a's own). Now the index alone is not taken while a sync's marker is there
    (one stat, `IndexReader.open_current`): the store opens, puts the clone back and says so."""
    monkeypatch.setattr(freshness, "SMALL_STORE_FILES", 0)
    a, b, cid = team
    written, _unwritten = _killed_while_checking_out(a, b, tmp_path)
    answered = kehu(*(part.format(cid=cid) for part in command), store=a)
    assert answered.code == 0, answered.err
    assert "clone was put back" in answered.err, answered.err
    assert "乙" not in answered.out and "丙" not in answered.out, answered.out
    assert not (a / ".kehu" / "sync-in-progress").exists() and not (a / written).exists()
    assert git(a, "status", "--porcelain", "--untracked-files=all") == ""


def _redeemed_in_both(tmp_path: Path, remote: Path) -> tuple[Path, Path, str, str, int]:  # noqa: F811
    """Each clone redeems 1 000 of the customer's 1 288 points, unsynced: the two clones, the
    customer, what the rule says of the second, the balance once one is taken back."""
    a, b, cid = customer_with_points(tmp_path, remote)
    for clone in (a, b):
        ok("points", "redeem", cid, "1000", "--reason", "紫砂壶", store=clone)
    return a, b, cid, "redeems 1000 points when 288 were left", 288


def _written_off_in_both(tmp_path: Path, remote: Path) -> tuple[Path, Path, str, str, int]:  # noqa: F811
    """The same lapsed 1 288 points written off in each of two clones, 3 000 live (see
    test_sync_rejected_merge.written_off_in_both)."""
    return (*written_off_in_both(tmp_path, remote), "writes off points written off already", 3000)


SPENT_TWICE = {"redeemed": _redeemed_in_both, "written-off": _written_off_in_both}


@pytest.mark.parametrize("spent", SPENT_TWICE.values(), ids=SPENT_TWICE.keys())
def test_points_spent_twice_by_two_clones_are_taken_back_by_the_command_the_refusal_names(
        spent: Any, tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """The same points redeemed, or the same lapsed points written off, in two clones: the later
    sync is refused by the points plugin's `overdrawn` or `written_off_twice` rule, which told
    the user `kehu undo` in the clone that made it (undoing whatever that clone did since too).
    Now it names `kehu points void ENTRY_ID` of the refused clone's own entry; run as said there,
    both clones sync into one store, `kehu check` clean in each, the balance counted once."""
    a, b, cid, words, points = spent(tmp_path, remote)
    sync(a)
    refused = kehu("sync", store=b)
    assert refused.code == 1 and words in refused.err and "Traceback" not in refused.err, refused.err
    done = kehu(*_way_on(refused.err), store=b)
    assert done.code == 0, done.err
    sync(b)
    sync(a)
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
    for clone in (a, b):
        checked = kehu("check", store=clone)
        assert checked.code == 0, checked.out
        assert balance(clone, cid) == points


@pytest.mark.parametrize("spent", SPENT_TWICE.values(), ids=SPENT_TWICE.keys())
def test_points_spent_twice_in_one_store_are_named_by_check_with_the_command_that_takes_one_back(
        spent: Any, tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """The two joined by plain git (`git pull`: no kehu check on the way): `kehu check` names the
    second with `kehu points void ENTRY_ID`, which, run as it says, leaves `check` clean."""
    a, b, cid, words, points = spent(tmp_path, remote)
    sync(a)
    git(b, "add", "-A")
    git(b, "commit", "-qm", "the rep's points")
    git(b, "pull", "-q", "--no-rebase", "--no-edit")
    checked = kehu("check", store=b)
    assert checked.code == 1 and words in checked.out + checked.err, checked.out
    done = kehu(*_way_on(checked.out + checked.err), store=b)
    assert done.code == 0, done.err
    checked = kehu("check", store=b)
    assert checked.code == 0, checked.out
    assert balance(b, cid) == points


def _entry_ids(store: Path, cid: str) -> list[str]:
    return [e["id"] for e in kehu("points", "show", cid, "--json", store=store).json()["ledger"]]


def test_points_void_without_customer_goes_to_the_ledgers_that_hold_the_id(tmp_path: Path) -> None:
    """`kehu points void ID` without `--customer` asked every points ledger of the store for
    the id (each read and parsed: 10 000 files), so another customer's ledger that cannot be
    read (a FIFO in its place) stopped it, refused naming that file. Now
    one `git grep` names the tracked ledgers holding the id's text and only those, with the
    ledgers git does not track yet, are read: an entry in a committed ledger, in one edited
    since, and in a new customer's uncommitted one is each found, the FIFO never opened; a
    store outside git asks each ledger, as before."""
    import os

    root = tmp_path / "s"
    assert kehu("init", str(root)).code == 0
    committed, edited, broken = (ok("customer", "add", "--name", name, store=root).strip() for name in "甲乙丙")
    for cid in (committed, edited, broken):
        ok("purchase", "add", cid, "--item", "茶", "--price", "100", store=root)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "three customers")
    ok("points", "redeem", edited, "10", store=root)  # edited since the commit
    fresh = ok("customer", "add", "--name", "丁", store=root).strip()  # not committed: untracked
    ok("purchase", "add", fresh, "--item", "茶", "--price", "100", store=root)
    ledger = next(root.glob(f"customers/*/{broken}/points.ledger.yaml"))
    ledger.unlink()
    os.mkfifo(ledger)
    for cid in (committed, edited, fresh):
        wanted = _entry_ids(root, cid)[-1]
        done = kehu("points", "void", wanted, store=root)
        assert done.code == 0 and wanted in done.out, done.err
        assert wanted not in _entry_ids(root, cid)
    missing = kehu("points", "void", "zzzzzzzzzz", store=root)
    assert missing.code == 1 and "no points entry has the id zzzzzzzzzz" in missing.err, missing.err
    alone = tmp_path / "no-git"
    assert kehu("init", "--no-git", str(alone)).code == 0
    cid = ok("customer", "add", "--name", "戊", store=alone).strip()
    ok("purchase", "add", cid, "--item", "茶", "--price", "100", store=alone)
    wanted = _entry_ids(alone, cid)[-1]
    assert kehu("points", "void", wanted, store=alone).code == 0 and _entry_ids(alone, cid) == []
