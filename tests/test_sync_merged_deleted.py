"""A customer merged into another in one clone and deleted whole in the other (issue 16, kind
5). Git follows the merge's move of the customer's purchases to the one kept and stops on
each, at its new path, as "deleted by them": `kehu sync` said "changed in this clone, deleted
in the other" of a file the other clone never had there, and that a customer is kept or
deleted whole, which is not the choice. Now the sync, `kehu check` and the TUI name what
happened (moved here from that customer by `kehu customer merge`, that customer deleted in
the other clone), and either answer, taken as the message says, syncs both clones to the
same store, `kehu check` clean, each purchase there once or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from kehu_core.ids import shard

from .conftest import git, kehu
from .test_hostile_git import team  # noqa: F401 (a fixture)
from .test_team_merge import balance, ok, remote, sync  # noqa: F401 (remote: a fixture)


def _purchases(store: Path, cid: str) -> list[str]:
    listed = kehu("customer", "show", cid, "--json", store=store).json()
    return sorted(str(p["amount"]) for p in listed["purchases"])


@pytest.mark.parametrize("merged_in", ["this clone", "the other clone"])
@pytest.mark.parametrize("answer", ["add", "rm"])
@pytest.mark.parametrize("kept_bought", [True, False], ids=["kept-bought", "kept-new"])
def test_a_customer_merged_here_and_deleted_there_asks_about_its_moved_purchases(
        merged_in: str, answer: str, kept_bought: bool, team: tuple[Path, Path, str]) -> None:  # noqa: F811
    """kept-new: the customer kept had no purchase, so no points ledger; the merge makes it
    of the merged customer's, and git takes that for a move too."""
    a, b, gone = team
    kept = ok("customer", "add", "--name", "乙", "--phone", "13800138001", store=a).strip()
    ok("purchase", "add", gone, "--amount", "50", "--date", "2026-11-03", store=a)
    if kept_bought:
        ok("purchase", "add", kept, "--amount", "70", "--date", "2026-11-04", store=a)
    sync(a)
    sync(b)
    deleting, merging = (a, b) if merged_in == "this clone" else (b, a)
    git(deleting, "rm", "-rq", f"customers/{shard(gone)}/{gone}")  # by hand, with plain git
    git(deleting, "commit", "-qm", "甲 deleted by hand")
    ok("customer", "merge", kept, gone, store=merging)
    sync(a)  # the first to sync pushes; the second's merge stops
    asked = kehu("sync", store=b)
    assert asked.code == 1 and "Traceback" not in asked.err, asked.err
    said = (f"moved to this customer from {gone} by `kehu customer merge` in this clone, while the other "
            f"clone deleted {gone} whole" if merged_in == "this clone" else
            f"deleted in this clone with {gone}, while the other clone moved it to this customer")
    assert said in asked.err, asked.err
    assert "a customer is kept or deleted whole" not in asked.err
    assert said in kehu("check", store=b).out
    stuck = git(b, "diff", "--name-only", "--diff-filter=U").split()
    assert stuck and all(f"/{kept}/" in rel for rel in stuck), stuck
    for rel in stuck:
        git(b, *(["add"] if answer == "add" else ["rm", "-q"]), rel)
    sync(b)
    sync(a)
    expected = (["50.00"] if answer == "add" else []) + (["70.00"] if kept_bought else [])
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0, kehu("check", store=clone).out
        assert _purchases(clone, kept) == expected
        assert kehu("customer", "show", gone, store=clone).code == 1
    assert balance(a, kept) == balance(b, kept)
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
