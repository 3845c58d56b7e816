"""A file in one clone where the other has a customer's folder of the same name (issue 16,
kind 5). Git sets the file aside (`customers/b5/lisi~HEAD`) and stops: `kehu sync` called it
"changed in both clones; check it, then `kehu sync` finishes the merge", and the next sync
committed and pushed git's leftover file with exit 0, `kehu check` ok (a file that is no
record is none of its business). Now the stop, `check` and the next sync name the file set
aside and the decision (delete it or keep it under that name), and either answer syncs both
clones alike with the customer whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from kehu_core.ids import shard

from .conftest import git, kehu
from .test_hostile_git import team  # noqa: F401 (a fixture)
from .test_team_merge import ok, remote, sync  # noqa: F401 (remote: a fixture)


@pytest.mark.parametrize("file_in", ["this clone", "the other clone"])
@pytest.mark.parametrize("answer", ["rm", "add"])
def test_a_file_where_the_other_clone_has_a_customers_folder_waits_for_a_decision(
        file_in: str, answer: str, team: tuple[Path, Path, str]) -> None:  # noqa: F811
    a, b, _cid = team
    lisi = ok("customer", "add", "--name", "李四", "--phone", "13800138001", "--id", "lisi", store=a).strip()
    stray = b / "customers" / shard(lisi) / lisi
    if file_in == "this clone":  # a pushes the customer, b's file clashes in b's sync
        sync(a)
        stray.parent.mkdir(parents=True, exist_ok=True)
        stray.write_text("hello\n", encoding="utf-8")
        git(b, "add", "-A")
        git(b, "commit", "-qm", "a file by hand")
    else:  # b pushes the file first, a's sync brings it to the customer's folder
        stray.parent.mkdir(parents=True, exist_ok=True)
        stray.write_text("hello\n", encoding="utf-8")
        git(b, "add", "-A")
        git(b, "commit", "-qm", "a file by hand")
        git(b, "push", "-q")
        b, a = a, b  # the clone whose sync stops is now called b
    asked = kehu("sync", store=b)
    assert asked.code == 1 and "Traceback" not in asked.err, asked.err
    side = "this clone's file" if file_in == "this clone" else "the other clone's file"
    assert f"{side}, which git set aside under this name" in asked.err, asked.err
    assert "changed in both clones" not in asked.err
    [aside] = git(b, "diff", "--name-only", "--diff-filter=U").split()
    assert aside.startswith(f"customers/{shard(lisi)}/{lisi}~"), aside
    assert f"git rm {aside}" in kehu("check", store=b).out
    head = git(b, "rev-parse", "HEAD")
    again = kehu("sync", store=b)  # not decided: nothing committed, nothing pushed
    assert again.code == 1 and "waiting for a decision" in again.err, again.err
    assert git(b, "rev-parse", "HEAD") == head
    git(b, *(["rm", "-q"] if answer == "rm" else ["add"]), aside)
    sync(b)
    sync(a)
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0
        assert kehu("customer", "show", lisi, "--json", store=clone).json()["name"] == "李四"
        assert (clone / aside).is_file() == (answer == "add")
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
