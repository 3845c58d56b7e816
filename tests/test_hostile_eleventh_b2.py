"""Eleventh outside round, B, continued (issue 16, kind 5): commands that commit what they
change, in a clone where git is in the middle of something. Real stores and git clones."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import git, kehu
from .test_hostile_git import team, work_hash  # noqa: F401 (team: a fixture)
from .test_team_merge import remote, sync  # noqa: F401 (remote: a fixture)


def _stuck_merge(a: Path, b: Path) -> None:
    """A sync of ``a`` stopped half-way: a template both clones changed, left unmerged."""
    (a / "templates").mkdir()
    (a / "templates" / "t.j2").write_text("Subject: 你好\n\n新茶\n", encoding="utf-8")
    sync(a)
    sync(b)
    (b / "templates" / "t.j2").write_text("Subject: 你好\n\n秋茶\n", encoding="utf-8")
    sync(b)
    (a / "templates" / "t.j2").write_text("Subject: 你好\n\n冬茶\n", encoding="utf-8")
    assert kehu("sync", store=a).code == 1


STATES = ["merge-open", "detached-head"]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("command", ["handover", "customer-merge"])
def test_a_command_that_commits_changes_nothing_where_no_commit_can_land(
        team: tuple[Path, Path, str], state: str, command: str) -> None:  # noqa: F811
    """`kehu handover` and `kehu customer merge` commit what they change. With a merge left
    open by a sync (a file both clones changed), the handover wrote every profile and then
    failed on git's "cannot do a partial commit during a merge", exit 1 with the profiles
    changed and staged; the customer merge took its files back but left them staged. On a
    detached HEAD (`git checkout COMMIT` to look at the past) both committed there, on no
    branch: `git switch master`, as `kehu sync` then tells, left the commit behind, the
    hand-over or the merge gone from the store. Each is refused before it changes anything,
    saying what git is in the middle of and the way out."""
    a, b, cid = team
    assert kehu("customer", "set", cid, "owner=王芳", store=a).code == 0
    other = kehu("customer", "add", "--name", "甲", "--phone", "13800138001", store=a).out.strip()
    if state == "merge-open":
        _stuck_merge(a, b)
    else:
        sync(a)
        git(a, "checkout", "-q", "--detach")
    before, head = work_hash(a), git(a, "rev-parse", "HEAD")
    status = git(a, "status", "--porcelain")
    argv = ["handover", "王芳", "李雷"] if command == "handover" else ["customer", "merge", cid, other]
    done = kehu(*argv, store=a)
    assert done.code == 1, (done.out, done.err)
    said = done.err
    assert "fatal:" not in said, said
    assert ("merge is not finished" in said) if state == "merge-open" else ("HEAD is detached" in said), said
    assert "nothing was changed" in said, said
    assert work_hash(a) == before and git(a, "rev-parse", "HEAD") == head
    assert git(a, "status", "--porcelain") == status
