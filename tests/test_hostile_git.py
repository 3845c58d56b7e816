"""A colleague's clone that changes how git treats the store (issue 16, kinds 1 and 5): a
``.gitattributes`` that is not kehu's (``merge=union`` on profiles, ``-merge``, a ``filter=``, a
``working-tree-encoding``), a ``.gitmodules`` or a submodule, pushed with plain git. `kehu sync`
merged them with exit 0; with ``*.yaml working-tree-encoding=UTF-16LE-BOM`` every later sync of
the team failed ("failed to encode ... from UTF-16LE-BOM to UTF-8"). Now sync refuses such a
merge before git applies anything of it, and leaves the clone as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kehu_core.ids import shard
from kehu_core.store import GITATTRIBUTES, Store

from .conftest import git, kehu
from .test_team_merge import first_clone, new_clone, ok, remote, sync  # noqa: F401 (remote: a fixture)


@pytest.fixture
def team(tmp_path: Path, remote: Path) -> tuple[Path, Path, str]:  # noqa: F811
    """Clone a (kehu's, with 甲) and the colleague's b, both synced."""
    a = first_clone(tmp_path, remote)
    cid = ok("customer", "add", "--name", "甲", "--phone", "13800138000", store=a).strip()
    git(a, "push", "-q", "-u", "origin", "HEAD")
    sync(a)
    b = new_clone(tmp_path, remote, "b")
    return a, b, cid


def work_hash(root: Path) -> str:
    """The working tree's files (not .git, whose fetched refs a sync may move; not .kehu)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.split("/")[0] in (".git", ".kehu"):
            continue
        digest.update(rel.encode() + b"\0" + (path.read_bytes() if path.is_file() else b""))
    return digest.hexdigest()


ATTRIBUTES = {
    "encoding": "*.yaml working-tree-encoding=UTF-16LE-BOM\n",
    "union-profiles": "customer.yaml merge=union\n",
    "no-merge": "*.yaml -merge\n",
    "filter": "*.yaml filter=colleague\n",
}


@pytest.mark.parametrize("line", ATTRIBUTES.values(), ids=ATTRIBUTES.keys())
def test_sync_refuses_a_colleagues_gitattributes(line: str, team: tuple[Path, Path, str]) -> None:
    a, b, cid = team
    (b / ".gitattributes").write_text(GITATTRIBUTES + line, encoding="utf-8")
    # Only .gitattributes: `commit -a` would also restage a racily-clean customer.yaml read
    # through the new encoding, and the colleague would push a mangled profile by accident.
    git(b, "add", ".gitattributes")
    git(b, "commit", "-qm", "my attributes")
    git(b, "push", "-q")
    ok("customer", "set", cid, "notes=在 a 改的", store=a)
    before, head = work_hash(a), git(a, "rev-parse", "HEAD")
    result = kehu("sync", store=a)
    assert result.code == 1, result.out
    assert "changes how git merges or checks out this store's files" in result.err, result.err
    assert ".gitattributes: changed (not as kehu writes it)" in result.err
    assert "Traceback" not in result.err
    assert work_hash(a) == before and git(a, "rev-parse", "HEAD") == head  # as it was, edit uncommitted
    assert (a / ".gitattributes").read_text(encoding="utf-8") == GITATTRIBUTES
    assert git(a, "status", "--porcelain").strip().endswith("customer.yaml")

    # put back as kehu writes it, the team syncs again
    (b / ".gitattributes").write_text(GITATTRIBUTES, encoding="utf-8")
    git(b, "add", ".gitattributes")
    git(b, "commit", "-qm", "kehu's attributes again")
    git(b, "push", "-q")
    sync(a)
    assert "在 a 改的" in kehu("customer", "show", cid, store=a).out


def test_sync_refuses_a_deleted_gitattributes_a_nested_one_and_a_submodule(
        team: tuple[Path, Path, str], tmp_path: Path) -> None:
    a, b, _cid = team
    head = git(a, "rev-parse", "HEAD")
    cases = []
    git(b, "rm", "-q", ".gitattributes")
    git(b, "commit", "-qm", "no attributes")
    cases.append(".gitattributes: changed (deleted)")
    (b / "customers" / ".gitattributes").write_text("* merge=binary\n", encoding="utf-8")
    git(b, "add", "customers/.gitattributes")
    git(b, "commit", "-qm", "nested attributes")
    cases.append("customers/.gitattributes: changed (not as kehu writes it)")
    other = tmp_path / "other"
    git(tmp_path, "init", "-q", str(other))
    git(other, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-q", "--allow-empty", "-m", "x")
    sha = git(other, "rev-parse", "HEAD").strip()
    git(b, "update-index", "--add", "--cacheinfo", f"160000,{sha},customers/zz")
    (b / ".gitmodules").write_text(f'[submodule "zz"]\n\tpath = customers/zz\n\turl = {other}\n', encoding="utf-8")
    git(b, "add", ".gitmodules")
    git(b, "commit", "-qm", "a submodule")
    cases += ["customers/zz: a submodule", ".gitmodules: changed (not as kehu writes it)"]
    git(b, "push", "-q")
    result = kehu("sync", store=a)
    assert result.code == 1, result.out
    for case in cases:
        assert case in result.err, result.err
    assert git(a, "rev-parse", "HEAD") == head and not (a / "customers" / "zz").exists()


def test_a_store_in_a_folder_of_the_repository_takes_its_own_gitattributes(tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """The store need not be the repository's top: kehu's .gitattributes is the store's."""
    top = tmp_path / "top"
    git(tmp_path, "init", "-q", str(top))
    assert kehu("init", str(top / "shop"), "--no-git").code == 0
    git(top, "add", "-A")
    git(top, "commit", "-qm", "shop")
    git(top, "remote", "add", "origin", str(remote))
    git(top, "push", "-q", "-u", "origin", "HEAD")
    b = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(remote), str(b))
    ok("customer", "add", "--name", "乙", store=b / "shop")
    sync(b / "shop")
    sync(top / "shop")
    assert "乙" in kehu("customer", "list", store=top / "shop").out


def test_sync_refuses_a_colleagues_gitignore_that_would_leave_customers_unshared(
        team: tuple[Path, Path, str]) -> None:
    """A clone pushed `customers/` into .gitignore: sync merged it, and from then on every new
    customer of the team stayed in its own clone while sync said "nothing new to commit"."""
    a, b, _cid = team
    with (b / ".gitignore").open("a", encoding="utf-8") as f:
        f.write("customers/\n")
    git(b, "commit", "-qam", "ignore the customers")
    git(b, "push", "-q")
    result = kehu("sync", store=a)
    assert result.code == 1, result.out
    assert ".gitignore: leaves out customers/…/customer.yaml" in result.err, result.err
    assert "customers/" not in (a / ".gitignore").read_text(encoding="utf-8")
    new = ok("customer", "add", "--name", "新客", store=a).strip()
    git(b, "revert", "--no-edit", "HEAD")
    git(b, "push", "-q")
    sync(a)
    assert new in git(a, "ls-files", "customers")  # committed, and shared


@pytest.mark.parametrize("decision", ["keep", "delete"])
@pytest.mark.parametrize("second", ["deleting", "adding"])
def test_a_note_added_to_a_customer_the_other_clone_deleted_waits_for_a_decision(
        tmp_path: Path, remote: Path, second: str, decision: str) -> None:  # noqa: F811
    """One clone deletes a customer (by hand, `git rm -r` of their folder: kehu has no command
    that deletes one), the other adds a note to them. Git merges that without a conflict,
    leaving the note without a profile, which check rejects: each sync of either clone was
    undone, "run `kehu sync` again", for ever, and `kehu check` said ok. Now it is the
    edit-against-deletion decision: shown by check, kept or deleted whole. (A customer merged
    away, not deleted, takes the note along: test_hostile_thirteenth_lead.py.)"""
    a = first_clone(tmp_path, remote)
    ok("customer", "add", "--name", "赵敏", store=a)
    gone = ok("customer", "add", "--name", "赵敏 (旧)", store=a).strip()
    sync(a)
    b = new_clone(tmp_path, remote, "b")
    ok("interaction", "add", gone, "--kind", "note", "--date", "2026-11-10", "--text", "来自b", store=b)
    git(a, "rm", "-r", "-q", f"customers/{shard(gone)}/{gone}")
    git(a, "commit", "-q", "-m", f"{gone} deleted by hand")
    first, last = (b, a) if second == "deleting" else (a, b)
    sync(first)
    rel = f"customers/{shard(gone)}/{gone}/customer.yaml"
    how = "deleted in this clone" if second == "deleting" else "changed in this clone, deleted in the other"

    stopped = kehu("sync", store=last)

    assert stopped.code == 1 and f"{rel}:1: {how}" in stopped.err, stopped.err
    checked = kehu("check", store=last)
    assert checked.code == 1 and f"{last / rel}:1: {how}" in checked.out, checked.out
    again = kehu("sync", store=last)
    assert again.code == 1 and "waiting for a decision" in again.err
    assert git(remote, "rev-parse", "HEAD") == git(first, "rev-parse", "HEAD")  # nothing pushed

    git(last, *(["add"] if decision == "keep" else ["rm", "-q"]), rel)
    finished = kehu("sync", store=last)
    assert finished.code == 0, finished.err
    sync(first)
    for clone in (a, b):
        store = Store.open(clone)
        if decision == "keep":  # the profile with the note added to it
            assert gone in set(store.iter_customer_ids())
            assert [i.text for i in store.interactions(gone)] == ["来自b"]
        else:
            assert gone not in set(store.iter_customer_ids()) and not store.customer_dir(gone).exists()
        assert kehu("check", store=clone).code == 0, kehu("check", store=clone).out
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
