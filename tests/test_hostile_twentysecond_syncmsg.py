"""Issue 16, the twenty-second round: what a stopped `kehu sync` says, and the records it settles
itself, with real clones of a real bare remote."""

from __future__ import annotations

from pathlib import Path

from kehu_core.ids import shard
from kehu_core.store import Store

from .conftest import git, kehu
from .test_team_merge import first_clone, new_clone, ok, remote, sync  # noqa: F401 (remote: a fixture)


def _edited_here_deleted_there(tmp_path: Path, remote: Path) -> tuple[Path, Path, str]:  # noqa: F811
    """Clone a edits 赵敏 (旧) while clone b deleted her by hand and synced first: a's sync stops
    on her profile, changed here and deleted there (a decision: keep or delete, nothing to edit).
    Returns a, b and the profile's path (relative)."""
    a = first_clone(tmp_path, remote)
    ok("customer", "add", "--name", "赵敏", store=a)
    gone = ok("customer", "add", "--name", "赵敏 (旧)", "--level", "普通", store=a).strip()
    sync(a)
    b = new_clone(tmp_path, remote, "b")
    git(b, "rm", "-r", "-q", f"customers/{shard(gone)}/{gone}")
    git(b, "commit", "-q", "-m", "the duplicate deleted")
    return a, b, Store.open(a).customer_file(gone).relative_to(a).as_posix()


def _one_line_two_ways(a: Path, b: Path) -> None:
    """One line added to .gitignore two ways: a conflict of lines, to edit."""
    for clone, name in ((a, "a.pdf"), (b, "b.pdf")):
        with (clone / ".gitignore").open("a", encoding="utf-8") as ignore:
            ignore.write(f"{name}\n")
    git(b, "commit", "-qam", "ignore b.pdf")


def test_a_sync_stopped_on_keep_or_delete_decisions_says_keep_or_delete_not_edit(
        tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """Every file the sync stopped on was a decision (changed in one clone, deleted in the other),
    and its first line said "changed on both sides in ways kehu cannot merge ... Edit them":
    there is nothing to edit. It says to keep or delete them now, in English and in Chinese."""
    a, b, rel = _edited_here_deleted_there(tmp_path, remote)
    sync(b)
    ok("customer", "set", rel.split("/")[-2], "level=金卡", store=a)
    stopped = kehu("sync", store=a)
    assert stopped.code == 1 and "Traceback" not in stopped.err, stopped.err
    first = stopped.err.splitlines()[0]
    assert "Edit them" not in first and "changed on both sides" not in first, first
    assert "1 file(s)" in first and "keep or delete" in first and "nothing to edit" in first, first
    assert f"{rel}:1: changed in this clone, deleted in the other" in stopped.err
    git(a, "merge", "--abort")
    chinese = kehu("--lang", "zh_CN", "sync", store=a)
    first = chinese.err.splitlines()[0]
    assert chinese.code == 1 and "保留或删除" in first and "请编辑" not in first, first


def test_a_sync_stopped_on_lines_to_edit_and_decisions_says_which_is_which(
        tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """A conflict of lines (to edit) and a customer changed here, deleted there (to keep or
    delete), in one stopped sync: the first line says how many of each, and each is listed."""
    a, b, rel = _edited_here_deleted_there(tmp_path, remote)
    _one_line_two_ways(a, b)
    sync(b)
    ok("customer", "set", rel.split("/")[-2], "level=金卡", store=a)
    stopped = kehu("sync", store=a)
    assert stopped.code == 1 and "Traceback" not in stopped.err, stopped.err
    first = stopped.err.splitlines()[0]
    assert "2 file(s)" in first and "1 to edit" in first and "1 to keep or delete" in first, first
    assert f"{rel}:1: changed in this clone, deleted in the other" in stopped.err
    assert ".gitignore:3: unresolved git merge conflict" in stopped.err, stopped.err


def test_a_sync_stopped_on_lines_alone_still_says_edit_them(tmp_path: Path, remote: Path) -> None:  # noqa: F811
    a = first_clone(tmp_path, remote)
    sync(a)
    b = new_clone(tmp_path, remote, "b")
    _one_line_two_ways(a, b)
    sync(b)
    stopped = kehu("sync", store=a)
    first = stopped.err.splitlines()[0]
    assert stopped.code == 1 and "Edit them" in first and "keep or delete" not in first, stopped.err
