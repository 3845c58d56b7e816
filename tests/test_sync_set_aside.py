"""A file in one clone where the other has a customer's folder of the same name (issue 16,
kind 5). Git sets the file aside (`customers/b5/lisi~HEAD`) and stops: `kehu sync` called it
"changed in both clones; check it, then `kehu sync` finishes the merge", and the next sync
committed and pushed git's leftover file with exit 0, `kehu check` ok (a file that is no
record is none of its business). Now the stop, `check` and the next sync name the file set
aside and the decision (delete it or keep it under that name). A file where no record belongs
is one `kehu check` names (since the eleventh round), so only its deletion is shared: both
clones end alike with the customer whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from kehu_core.ids import shard

from .conftest import git, kehu
from .test_hostile_git import team  # noqa: F401 (a fixture)
from .test_team_merge import ok, remote, sync  # noqa: F401 (remote: a fixture)


def _stray_file(b: Path, lisi: str) -> Path:
    """A file made by hand where the customer's folder belongs, committed with git itself."""
    stray = b / "customers" / shard(lisi) / lisi
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_text("hello\n", encoding="utf-8")
    git(b, "add", "-A")
    git(b, "commit", "-qm", "a file by hand")
    return stray


def test_a_clone_never_shares_a_file_where_a_customers_folder_belongs(team: tuple[Path, Path, str]) -> None:  # noqa: F811
    """The clone holding the file: `kehu check` names it (a file where a customer's folder
    belongs), so its sync shares nothing, commits nothing, and says where; removed, it syncs."""
    a, b, _cid = team
    lisi = ok("customer", "add", "--name", "李四", "--phone", "13800138001", "--id", "lisi", store=a).strip()
    sync(a)
    stray = _stray_file(b, lisi)
    head = git(b, "rev-parse", "HEAD")
    refused = kehu("sync", store=b)
    assert refused.code == 1 and "Traceback" not in refused.err, refused.err
    assert f"customers/{shard(lisi)}/{lisi}:1: unexpected file" in refused.err, refused.err
    assert git(b, "rev-parse", "HEAD") == head and stray.is_file()
    git(b, "rm", "-q", str(stray.relative_to(b)))
    sync(b)
    sync(a)
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0
        assert kehu("customer", "show", lisi, "--json", store=clone).json()["name"] == "李四"
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")


@pytest.mark.parametrize("answer", ["rm", "add"])
def test_a_file_where_the_other_clone_has_a_customers_folder_waits_for_a_decision(
        answer: str, team: tuple[Path, Path, str]) -> None:  # noqa: F811
    """The file reached the remote without kehu (git push): the sync that brings it to the
    customer's folder stops, names the file git set aside and the decision. Deleting it syncs;
    keeping it under that name is a file where no record belongs, which `check` names, so the
    merge is committed as decided but not shared until it is gone."""
    a, other, _cid = team
    lisi = ok("customer", "add", "--name", "李四", "--phone", "13800138001", "--id", "lisi", store=a).strip()
    stray = _stray_file(other, lisi)
    git(other, "push", "-q")
    asked = kehu("sync", store=a)
    assert asked.code == 1 and "Traceback" not in asked.err, asked.err
    assert "the other clone's file, which git set aside under this name" in asked.err, asked.err
    assert "changed in both clones" not in asked.err
    [aside] = git(a, "diff", "--name-only", "--diff-filter=U").split()
    assert aside.startswith(f"customers/{shard(lisi)}/{lisi}~"), aside
    assert f"git rm {aside}" in kehu("check", store=a).out
    head = git(a, "rev-parse", "HEAD")
    again = kehu("sync", store=a)  # not decided: nothing committed, nothing pushed
    assert again.code == 1 and "waiting for a decision" in again.err, again.err
    assert git(a, "rev-parse", "HEAD") == head
    git(a, *(["rm", "-q"] if answer == "rm" else ["add"]), aside)
    if answer == "add":
        kept = kehu("sync", store=a)
        assert kept.code == 1 and "finished the merge" in kept.err and f"{aside}:1: unexpected file" in kept.err, \
            kept.err
        pushed = git(other, "ls-remote", "origin", "HEAD").split()[0]
        assert pushed == git(other, "rev-parse", "HEAD").strip()  # a's merge was not pushed
        git(a, "rm", "-q", aside)
    sync(a)
    git(other, "rm", "-q", str(stray.relative_to(other)))  # its own copy, which its check names
    sync(other)
    sync(a)
    for clone in (a, other):
        assert kehu("check", store=clone).code == 0
        assert kehu("customer", "show", lisi, "--json", store=clone).json()["name"] == "李四"
        assert not (clone / aside).exists()
    assert git(a, "rev-parse", "HEAD") == git(other, "rev-parse", "HEAD")
