"""The twenty-seventh round's lead findings (issue 16): each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

from .conftest import git, kehu
from .test_team_merge import ok


def _signing_that_fails(store: Path) -> None:
    """A clone set to sign every commit with a signing program that refuses (a rep's
    `commit.gpgsign` whose key is not on this laptop): git refuses each commit, in two lines."""
    git(store, "config", "commit.gpgsign", "true")
    git(store, "config", "gpg.program", "false")


def test_a_handover_git_refuses_to_commit_hands_over_nothing_and_says_gits_lines(store_path: Path) -> None:
    """`kehu handover` in a clone where git refuses the commit (signing fails): every customer was
    handed over and left uncommitted, with exit 1, and git's two lines came as one, joined by a
    literal "\\n", after the whole command line. Now nothing is handed over, and git's words are
    lines of their own."""
    first = ok("customer", "add", "--name", "甲", "--owner", "王芳", store=store_path).strip()
    second = ok("customer", "add", "--name", "乙", "--owner", "王芳", store=store_path).strip()
    git(store_path, "add", "-A")
    git(store_path, "commit", "-qm", "two customers")
    _signing_that_fails(store_path)
    result = kehu("handover", "王芳", "李雷", store=store_path)
    assert result.code == 1, result
    assert "Traceback" not in result.err and "\\n" not in result.err, result.err
    assert "nothing was handed over" in result.err, result.err
    said = result.err.splitlines()
    assert any(line.startswith("kehu: git commit") and "gpg failed to sign" in line for line in said), said
    assert any(line.strip().startswith("fatal: failed to write commit object") for line in said), said
    for cid in (first, second):
        assert ok("customer", "show", cid, "--json", store=store_path).count("王芳") >= 1
    assert git(store_path, "status", "--porcelain") == ""


def test_a_customer_merge_git_refuses_to_commit_does_not_print_the_commits_message(store_path: Path) -> None:
    """`kehu customer merge` whose commit git refuses: the message repeated the commit's whole
    message (its summary of what moved), joined by literal "\\n"s, before git's words."""
    keep = ok("customer", "add", "--name", "甲", "--phone", "13800000001", store=store_path).strip()
    other = ok("customer", "add", "--name", "甲", "--phone", "13800000002", store=store_path).strip()
    git(store_path, "add", "-A")
    git(store_path, "commit", "-qm", "two customers")
    _signing_that_fails(store_path)
    result = kehu("customer", "merge", keep, other, store=store_path)
    assert result.code == 1, result
    assert "\\n" not in result.err and "records moved" not in result.err, result.err
    assert "gpg failed to sign" in result.err, result.err
    assert git(store_path, "status", "--porcelain") == ""
