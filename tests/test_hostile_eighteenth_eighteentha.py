"""The eighteenth round (A, 2026-12-06), issue 16 kinds 5 and 10: a sync killed while git
checks out the merge, the commands that answer from the index after a killed sync, and the
points ledger's refusals. Each failed on the code before its fix. See docs/reliability.md, "The
outside attacker's variants"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kehu_core.index import freshness

from .conftest import git, kehu
from .test_hostile_git import team  # noqa: F401 (team: a fixture)
from .test_team_merge import ok, remote, sync  # noqa: F401 (remote: a fixture)


def _killed_while_checking_out(a: Path, b: Path, scratch: Path) -> tuple[str, str]:
    """b adds two customers and syncs; a's sync is killed by git's smudge filter (a's own, set
    for the second of b's new customer files) while git writes the merged files: the first
    customer's file written, untracked (git's index not yet written), .git/index.lock held.
    The ids of b's two customers, in the order git writes them."""
    ids = [ok("customer", "add", "--name", name, store=b).strip() for name in ("乙", "丙")]
    sync(b)
    paths = sorted(git(b, "ls-files", f"customers/*/{cid}/customer.yaml").strip() for cid in ids)
    smudge = scratch / "smudge-kills"
    smudge.write_text("#!/bin/sh\nkill -KILL 0\n", encoding="utf-8")
    smudge.chmod(0o755)
    git(a, "config", "filter.killer.smudge", str(smudge))
    attributes = a / ".git" / "info" / "attributes"
    attributes.parent.mkdir(exist_ok=True)
    attributes.write_text(f"/{paths[1]} filter=killer\n", encoding="utf-8")
    killed = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(a), "sync"],
                            capture_output=True, text=True, start_new_session=True, check=False)
    assert killed.returncode == -9, (killed.stdout, killed.stderr)
    attributes.unlink()
    git(a, "config", "--unset", "filter.killer.smudge")
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
    assert checked.code == 0 and "put back" in checked.err, checked.err
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
    assert "put back" in answered.err, answered.err
    assert "乙" not in answered.out and "丙" not in answered.out, answered.out
    assert not (a / ".kehu" / "sync-in-progress").exists() and not (a / written).exists()
    assert git(a, "status", "--porcelain", "--untracked-files=all") == ""
