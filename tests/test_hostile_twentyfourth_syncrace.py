"""Issue 16, the twenty-fourth round (syncrace), kinds 5 and 10: a sync killed at the moment it
started git's merge, git syncs inside a team, with real clones of a real bare remote."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import git, kehu
from .test_hostile_eighteenth_eighteentha import _b_adds_two_with_a_filter_on_the_second, merge_finished_alone
from .test_hostile_git import team  # noqa: F401 (team: a fixture)
from .test_team_merge import remote  # noqa: F401 (remote: a fixture)


def test_a_sync_killed_as_it_started_gits_merge_leaves_that_gits_lock_until_it_ends(
        team: tuple[Path, Path, str], remote: Path, tmp_path: Path) -> None:  # noqa: F811
    """kehu killed (`kill -9`, the OOM killer) just after it started git's merge, its git going
    on alone and holding index.lock while it writes the colleague's files. kehu noted the id of
    each git once git had started: killed before it wrote it (or while it did, an empty note,
    which a loaded machine made happen now and then in the killed-sync tests), the note named the
    sync's previous git, long ended, and the next command took the running merge's lock for a dead
    one's: removed it and reset the clone under that git (or failed "could not be put back").
    Now the process that becomes git writes its own id before it runs: the next command says a
    git is working and leaves the lock; once that git has ended, the clone is put back whole."""
    a, b, _cid = team
    go = tmp_path / "go"
    # git's filter on b's second file holds the merge (and its lock) until the test says go
    _b_adds_two_with_a_filter_on_the_second(
        a, b, tmp_path / "smudge-waits", f'#!/bin/sh\nwhile [ ! -e {go} ]; do sleep 0.05; done\ncat\n')
    # the moment: kehu killed right after it started git's merge, before that git did anything
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "git").write_text(f'#!/bin/sh\nif [ "$1" = merge ]; then kill -KILL "$PPID"; '
                              f'exec {shutil.which("git")} "$@" >/dev/null 2>&1; fi\n'
                              f'exec {shutil.which("git")} "$@"\n', encoding="utf-8")
    (shim / "git").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}"}
    killed = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(a), "sync"],
                            capture_output=True, text=True, env=env, check=False)
    assert killed.returncode == -9, (killed.stdout, killed.stderr)
    lock = a / ".git" / "index.lock"
    for _ in range(200):  # the orphaned merge takes its lock
        if lock.exists():
            break
        time.sleep(0.05)
    try:
        waiting = kehu("check", store=a)
        assert "a git command is working in this clone now" in waiting.err, waiting.err
        assert lock.exists()
    finally:
        go.touch()
    merge_finished_alone(a)




def _git(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """git as a person runs it, its exit code kept (a rebase stopped on a conflict is not 0)."""
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("variant", ["tag and sale", "family", "birthday"])
@pytest.mark.parametrize("merger_pulls", [True, False])
def test_a_rebase_by_hand_stopped_on_a_customer_merged_away_is_undone_and_synced(
        tmp_path: Path, remote: Path, variant: str, merger_pulls: bool) -> None:  # noqa: F811
    """twentythird_syncnote's confidential cases (the supervisor merged 甲 into 乙, 甲's birthday
    cleared first; the other clone tagged 甲 and sold to 甲, and changed 甲's confidential family or
    birthday), the clone syncing last committing by hand and running `git pull --rebase`, which
    stops on 甲's profile. `kehu check` said "changed in this clone, deleted in the other" (git's
    sides are the other way round in a rebase) with `git add`/`git rm` then `kehu sync`, and the
    sync "kehu check finds 3 problem(s) ... fix them": followed, the sync met "HEAD is detached",
    and the rebase finished by hand lost the tag and the sale or stood 甲 beside 乙 again. Both say
    a rebase stopped, to undo it (`git rebase --abort`) and run `kehu sync`, which merges; so
    followed, the sync ends as a sync's own merge does (the family without a key: run it with one;
    the birthday that cannot be joined: the way on in the clone where 甲 stands)."""
    from .test_hostile_twentythird_syncnote import _confidential_pair, _kept_alone_in_both
    from .test_team_merge import ok, sync

    a, b, x, y, boss = _confidential_pair(tmp_path, remote)
    key = ("--identity", str(boss))
    if variant != "tag and sale":
        value = "family=甲家新" if variant == "family" else "birthday=1990-06-01"
        ok(*key, "customer", "set", x, value, store=b)
    first, last = (b, a) if merger_pulls else (a, b)
    sync(first)
    git(last, "add", "-A")
    _git(last, "commit", "-q", "-m", "mine")  # (`kehu customer merge` committed the merger's own)
    assert _git(last, "pull", "--rebase").returncode != 0
    checked = kehu("check", store=last)
    assert checked.code == 1 and "`git rebase --abort`" in checked.out, checked.out
    assert "changed in this clone, deleted in the other" not in checked.out, checked.out
    assert "deleted in this clone, changed in the other" not in checked.out, checked.out
    head = git(last, "rev-parse", "HEAD")
    for lang, words in (("en", "git's rebase"), ("zh_CN", "git rebase --abort")):
        stopped = kehu("--lang", lang, *key, "sync", store=last)
        assert stopped.code == 1 and "Traceback" not in stopped.err, stopped.err
        assert words in stopped.err and "`git rebase --abort`" in stopped.err, stopped.err
        assert git(last, "rev-parse", "HEAD") == head
    git(last, "rebase", "--abort")
    if variant == "family":
        told = kehu("sync", store=last)
        assert told.code == 1 and "Run `kehu sync` with the identity" in told.err, told.err
    if variant == "birthday":
        told = kehu(*key, "sync", store=last)
        assert told.code == 1 and f"`kehu customer set {x} birthday=`" in told.err, told.err
        ok(*key, "customer", "set", y, "birthday=1990-06-01", store=b)
        ok(*key, "customer", "set", x, "birthday=", store=b)
        sync(b)
        sync(a)
    else:
        assert kehu(*key, "sync", store=last).code == 0
    sync(first)
    for shown in _kept_alone_in_both(a, b, y, boss):
        assert "绿茶" in shown["tags"], shown
        assert shown["birthday"] == ("1990-06-01" if variant == "birthday" else "1988-03-03"), shown
        assert "乙家" in shown["family"] and "甲家" in shown["family"], shown
        assert ("甲家新" in shown["family"]) == (variant == "family"), shown



@pytest.mark.parametrize("variant", ["family", "birthday"])
@pytest.mark.parametrize("merger_merges", [True, False])
def test_a_merge_by_hand_synced_without_a_key_is_merged_in_by_the_sync_run_with_one(
        tmp_path: Path, remote: Path, variant: str, merger_merges: bool) -> None:  # noqa: F811
    """twentythird_syncnote's cases (甲 merged into 乙 in one clone; 甲 tagged, sold to and given a
    new confidential family or birthday in the other) merged by hand (`git merge`) in either clone,
    then `kehu sync` without a key: the sync commits the merge, but merging 甲 into 乙 again needs
    甲's confidential value read. It said "Nothing was changed: merge with the identity of someone
    who reads both customers" (the merge stayed committed), and `kehu sync` run with that identity
    found no merge open: "kehu check finds 1 problem(s)", 甲 standing beside 乙, for ever. It says the
    merge is committed and to run `kehu sync` with that identity, which merges 甲 into 乙 (a
    birthday that cannot be joined: its way on, then `kehu sync`, ends it)."""
    from .test_hostile_twentythird_syncnote import _confidential_pair, _kept_alone_in_both
    from .test_team_merge import ok, sync

    a, b, x, y, boss = _confidential_pair(tmp_path, remote)
    key = ("--identity", str(boss))
    ok(*key, "customer", "set", x, "family=甲家新" if variant == "family" else "birthday=1990-06-01", store=b)
    first, last = (b, a) if merger_merges else (a, b)
    sync(first)
    git(last, "add", "-A")
    _git(last, "commit", "-q", "-m", "mine")  # (`kehu customer merge` committed the merger's own)
    git(last, "fetch", "-q")
    assert _git(last, "merge", "--no-edit", "@{u}").returncode == 1
    for lang, words in (("en", "Run `kehu sync` with the identity"), ("zh_CN", "kehu sync")):
        keyless = kehu("--lang", lang, "sync", store=last)
        assert keyless.code == 1 and "Traceback" not in keyless.err, keyless.err
        assert words in keyless.err and "Nothing was changed" not in keyless.err, keyless.err
    synced = kehu(*key, "sync", store=last)
    if variant == "birthday":  # 乙's and 甲's new birthday: the value to keep is the person's to say
        assert synced.code == 1 and "cannot be joined" in synced.err, synced.err
        assert "finished the merge the last sync left open" not in synced.err, synced.err
        ok(*key, "customer", "set", y, "birthday=1990-06-01", store=last)
        ok(*key, "customer", "set", x, "birthday=", store=last)
        synced = kehu(*key, "sync", store=last)
    assert synced.code == 0, synced.err
    sync(first)
    for shown in _kept_alone_in_both(a, b, y, boss):
        assert "绿茶" in shown["tags"], shown
        assert shown["birthday"] == ("1990-06-01" if variant == "birthday" else "1988-03-03"), shown
        assert "乙家" in shown["family"] and ("甲家新" in shown["family"]) == (variant == "family"), shown


def test_a_handover_after_a_customer_deleted_by_hand_hands_over_the_others(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by the team simulation with deletions: a rep's customer deleted by hand (its folder
    removed in a file manager), then `kehu handover` of that rep's customers, in a store big
    enough that the index trusts itself between its looks (past SMALL_STORE_FILES, a few minutes):
    the hand-over listed the deleted customer from the index and stopped, "no customer with id
    ...; nothing was handed over", until the index looked again. It looks at the store first and
    hands over the customers that are there."""
    from kehu_core.index import freshness

    from .test_team_merge import ok

    monkeypatch.setattr(freshness, "SMALL_STORE_FILES", 0)
    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    kept, gone = (ok("customer", "add", "--name", name, "--owner", "王芳", store=store).strip()
                  for name in ("甲", "乙"))
    assert len(kehu("customer", "list", "--json", store=store).json()) == 2  # the index has looked
    shutil.rmtree(next((store / "customers").glob(f"*/{gone}")))
    handed = kehu("handover", "王芳", "李四", store=store)
    assert handed.code == 0, handed.err
    assert "reassigned 1 customer" in handed.out, handed.out
    assert kehu("customer", "show", kept, "--json", store=store).json()["owner"] == "李四"


def test_a_team_merging_renumbering_deleting_importing_and_editing_by_hand_loses_nothing(tmp_path: Path) -> None:
    """The team simulation (tests/test_team_simulation.py) with the edits it lacked: customers
    merged into another (`kehu customer merge`), given a new id (`kehu customer reid`), deleted by
    hand, imported from a sheet, a field edited in the file by hand, beside the sales, payments,
    complaints moved along, field edits, redemptions and hand-overs. Every clone ends on one
    commit, `kehu check` clean, each edit there once (its customer followed through merges and
    new ids; gone with a customer deleted)."""
    from . import team_sim_more
    from .test_team_simulation import simulate

    simulate(tmp_path, clones=4, customers=200, rounds=5, edits=6, sim=team_sim_more)
