"""The index knows without looking that nothing changed (issue 15, freshness).

A big store is not looked at before every command: kehu's own writes keep the index up to
date, git's pulls and checkouts are caught up from the commit the index last saw (at once by
the hooks ``kehu init`` installs, else by the next command), and a hand edit is seen after
``kehu check``/``kehu reindex``. A small store is compared file by file every time.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kehu_core.demo import generate
from kehu_core.index import freshness
from kehu_core.index.reader import IndexReader
from tests.conftest import git, kehu


def names(root: Path, query: str) -> list[str]:
    result = kehu("search", query, store=root)
    assert result.code == 0, result.err
    return [line.split("\t")[1] for line in result.out.splitlines()]


def current(root: Path) -> IndexReader | None:
    reader = IndexReader.open_current(root)
    if reader is not None:
        reader.close()
    return reader


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store over the size up to which every command compares every file, in git with
    kehu's hooks. The tests share it (building it takes seconds) and each leaves it whole."""
    root = tmp_path_factory.mktemp("big") / "store"
    generate(root, 600, seed=11, interactions_per_customer=8)
    # gc.auto 0: ~7 000 loose objects make git pack them in the background after a commit, and
    # a clone copying them meanwhile failed ("failed to copy file", once in CI)
    for args in (["init", "-q"], ["config", "gc.auto", "0"], ["add", "-A"],
                 ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    assert kehu("git-setup", store=root).code == 0  # the merge driver and the index hooks
    assert kehu("reindex", store=root).code == 0
    files = sum(1 for _ in (root / "customers").rglob("*.yaml"))
    assert files > freshness.SMALL_STORE_FILES
    return root


def test_a_big_store_answers_without_looking_and_sees_kehus_own_writes(big: Path) -> None:
    assert current(big) is not None  # the index may answer as it is
    added = kehu("customer", "add", "--name", "孙悟空", "--phone", "13700001111", store=big)
    assert added.code == 0, added.err
    assert current(big) is not None  # kehu's own write did not make it look again
    assert names(big, "swk") == ["孙悟空"]


def pull_a_colleagues_customer(big: Path, tmp_path: Path, name: str, phone: str) -> None:
    """A colleague's clone adds a customer and commits; ``big`` pulls it with git."""
    other = tmp_path / "colleague"
    subprocess.run(["git", "clone", "-q", str(big), str(other)], check=True)
    assert kehu("customer", "add", "--name", name, "--phone", phone, store=other).code == 0
    git(other, "add", "-A")
    git(other, "commit", "-qm", name)
    git(big, "pull", "-q", "--no-rebase", str(other), "HEAD")


def test_a_pull_is_caught_up_by_the_git_hook(big: Path, tmp_path: Path) -> None:
    pull_a_colleagues_customer(big, tmp_path, "猪八戒", "13700002222")
    assert current(big) is not None  # the post-merge hook re-read what git changed
    assert names(big, "zbj") == ["猪八戒"]


def test_without_hooks_the_next_command_catches_up_with_git(big: Path, tmp_path: Path) -> None:
    shutil.rmtree(big / ".git" / "hooks")
    try:
        pull_a_colleagues_customer(big, tmp_path, "沙悟净", "13700003333")
        assert current(big) is None  # HEAD moved since the index last looked
        assert names(big, "swj") == ["沙悟净"]
        assert current(big) is not None
    finally:
        assert kehu("git-setup", store=big).code == 0


def test_a_hand_edit_in_a_big_store_is_seen_after_check(big: Path) -> None:
    profile = next((big / "customers").glob("*/*/customer.yaml"))
    text = profile.read_text(encoding="utf-8")
    profile.write_text(text.replace("\nname: ", "\nname: 唐三藏", 1), encoding="utf-8")
    assert kehu("check", store=big).code in (0, 1)
    assert "唐三藏" in "".join(names(big, "唐三藏"))


def test_a_small_store_sees_a_hand_edit_at_once(store_path: Path) -> None:
    added = kehu("customer", "add", "--name", "白骨精", "--phone", "13700004444", store=store_path)
    assert added.code == 0
    assert names(store_path, "bgj") == ["白骨精"]
    profile = next((store_path / "customers").glob("*/*/customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8").replace("白骨精", "白龙马"), encoding="utf-8")
    assert names(store_path, "blm") == ["白龙马"]


def test_a_sync_reads_what_its_merge_brought_and_the_users_own_hook_still_runs(big: Path, tmp_path: Path) -> None:
    """``kehu sync`` reads the records its merge changed itself (kehu's hook line is skipped
    for that merge, not the user's own lines of the hook): the index answers at once after."""
    remote, mine, theirs = tmp_path / "remote.git", tmp_path / "mine", tmp_path / "theirs"
    subprocess.run(["git", "clone", "-q", "--bare", str(big), str(remote)], check=True)
    for path in (mine, theirs):
        subprocess.run(["git", "clone", "-q", str(remote), str(path)], check=True)
        assert kehu("git-setup", store=path).code == 0
    hook, log = mine / ".git" / "hooks" / "post-merge", tmp_path / "hook.log"
    hook.write_text(f"#!/bin/sh\necho merged >> '{log}'\n" + hook.read_text().split("\n", 1)[1])
    assert kehu("customer", "add", "--name", "牛魔王", "--phone", "13700005555", store=theirs).code == 0
    assert kehu("sync", store=theirs).code == 0
    assert kehu("customer", "add", "--name", "红孩儿", "--phone", "13700006666", store=mine).code == 0
    synced = kehu("sync", store=mine)
    assert synced.code == 0, synced.err
    assert "merged 1 commit" in synced.out + synced.err
    assert log.read_text() == "merged\n"
    assert current(mine) is not None  # no look at the folders needed: the sync read the merge
    assert names(mine, "nmw") == ["牛魔王"]
