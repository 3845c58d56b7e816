"""kehu sync, git-setup, customer log and handover, with real clones and a real bare remote."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from kehu_core.models import Customer
from kehu_core.store import Store

from .conftest import git, kehu


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    path = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(path))
    return path


def new_clone(tmp_path: Path, remote: Path, name: str) -> Path:
    path = tmp_path / name
    git(tmp_path, "clone", "-q", str(remote), str(path))
    result = kehu("git-setup", store=path)
    assert result.code == 0, result.err
    return path


def first_clone(tmp_path: Path, remote: Path) -> Path:
    path = tmp_path / "a"
    assert kehu("init", str(path)).code == 0
    git(path, "remote", "add", "origin", str(remote))
    return path


def add(store: Path, *args: str) -> str:
    result = kehu("customer", "add", *args, store=store)
    assert result.code == 0, result.err
    return result.out.strip()


def subjects(path: Path) -> list[str]:
    return git(path, "log", "--format=%s").splitlines()


def test_sync_commits_with_a_message_saying_what_changed_and_pushes(tmp_path: Path,
                                                                    remote: Path) -> None:
    a = first_clone(tmp_path, remote)
    cid = add(a, "--name", "赵敏", "--phone", "13912345678")
    assert kehu("sync", store=a).code == 0
    kehu("purchase", "add", cid, "--item", "龙井茶礼盒", "--price", "1288", "--date",
         "2026-11-01", store=a)

    result = kehu("sync", store=a)

    assert result.code == 0, result.err
    assert subjects(a)[0] == "赵敏: purchase 龙井茶礼盒 1288.00"
    assert "pushed" in result.out
    assert git(remote, "log", "--format=%s", "-1").strip() == "赵敏: purchase 龙井茶礼盒 1288.00"
    assert git(a, "status", "--porcelain") == ""


def test_sync_message_for_a_profile_edit_and_for_many_changes(tmp_path: Path, remote: Path) -> None:
    a = first_clone(tmp_path, remote)
    ids = [add(a, "--name", f"客户{i}", "--level", "普通") for i in range(6)]
    kehu("sync", store=a)
    kehu("customer", "set", ids[0], "level=金卡", "tags+=VIP", store=a)
    kehu("sync", store=a)
    assert subjects(a)[0] == "客户0: level 金卡, tags +VIP"

    for cid in ids[1:4]:
        kehu("interaction", "add", cid, "--kind", "visit", "--date", "2026-11-02", "--text",
             "来店品茶", store=a)
    add(a, "--name", "新客")
    kehu("sync", store=a)
    message = git(a, "log", "-1", "--format=%B")
    subject, _, body = message.partition("\n\n")
    assert subject == "4 changes to 4 customers: 3 visits, 1 new customer"
    assert "新客: new customer" in body
    assert "客户1: visit 来店品茶" in body


def test_sync_without_a_remote_commits_and_says_how_to_add_one(store_path: Path) -> None:
    add(store_path, "--name", "李雷")
    result = kehu("sync", store=store_path)
    assert result.code == 1
    assert "no remote to sync with" in result.err
    assert "git remote add origin URL" in result.err
    assert "committed" in result.err  # and the work is not lost
    assert subjects(store_path)[0] == "李雷: new customer"


@pytest.mark.parametrize("url", ["/nonexistent/shop.git", "https://127.0.0.1:9/shop.git"])
def test_sync_with_an_unreachable_remote_says_so_and_leaves_the_clone_as_it_was(
        store_path: Path, url: str) -> None:
    git(store_path, "remote", "add", "origin", url)
    before = subjects(store_path)
    add(store_path, "--name", "韩梅梅")
    pending = git(store_path, "status", "--porcelain")
    result = kehu("sync", store=store_path)
    assert result.code == 1
    assert f"cannot reach remote origin ({url})" in result.err
    assert "run `kehu sync` again" in result.err and "Nothing was changed" in result.err
    assert subjects(store_path) == before  # no commit left behind
    assert git(store_path, "status", "--porcelain") == pending  # the edit is still there
    assert "韩梅梅" in kehu("customer", "list", store=store_path).out


def test_two_clones_sync_both_ways_with_field_merges_and_conflicts(tmp_path: Path,
                                                                   remote: Path) -> None:
    a = first_clone(tmp_path, remote)
    cid = add(a, "--name", "赵敏", "--level", "普通", "--owner", "王芳", "--tag", "VIP")
    assert kehu("sync", store=a).code == 0
    b = new_clone(tmp_path, remote, "b")

    kehu("customer", "set", cid, "level=金卡", "tags+=老客户", store=a)
    kehu("purchase", "add", cid, "--item", "普洱", "--price", "300", "--date", "2026-11-01",
         store=a)
    kehu("customer", "set", cid, "level=银卡", "nickname=敏姐", store=b)
    kehu("interaction", "add", cid, "--kind", "call", "--date", "2026-11-03", "--text", "回访",
         store=b)
    assert kehu("sync", store=a).code == 0

    result = kehu("sync", store=b)

    # merged, but a field changed two ways waits for a person: nothing check rejects is pushed
    assert result.code == 1, result.err
    assert "merge conflict on level" in result.err and "Nothing was pushed" in result.err
    assert git(remote, "rev-parse", "HEAD") == git(a, "rev-parse", "HEAD")
    again = kehu("sync", store=b)  # still undecided: refused again, nothing pushed
    assert again.code == 1 and "merge conflict on level" in again.err
    assert kehu("customer", "set", cid, "level=银卡", "conflicts=", store=b).code == 0
    assert kehu("sync", store=b).code == 0
    assert kehu("sync", store=a).code == 0  # a gets the merge too
    for clone in (a, b):
        store = Store.open(clone)
        customer = store.get(cid)
        assert customer.nickname == "敏姐" and customer.tags == ["VIP", "老客户"]
        assert customer.level == "银卡" and "conflicts" not in customer.model_extra
        assert sorted(i.kind for i in store.interactions(cid)) == ["call", "purchase"]
        assert kehu("check", store=clone).code == 0
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")


def test_ids_made_in_two_clones_never_collide(tmp_path: Path, remote: Path) -> None:
    a = first_clone(tmp_path, remote)
    kehu("sync", store=a)
    b = new_clone(tmp_path, remote, "b")
    made: dict[str, list[str]] = {}
    for clone in (a, b):
        store = Store.open(clone)
        made[clone.name] = [
            store.add_customer(Customer(id=store.new_customer_id(), name=f"{clone.name}{i}")).id
            for i in range(150)
        ]
    assert not set(made["a"]) & set(made["b"])
    assert kehu("sync", store=a).code == 0
    assert kehu("sync", store=b).code == 0
    ids = set(Store.open(b).iter_customer_ids())
    assert ids == set(made["a"]) | set(made["b"])
    assert kehu("check", store=b).code == 0


def test_sync_stopped_by_an_unmergeable_file_can_be_finished(tmp_path: Path, remote: Path) -> None:
    a = first_clone(tmp_path, remote)
    add(a, "--name", "赵敏", "--level", "普通")
    kehu("sync", store=a)
    b = new_clone(tmp_path, remote, "b")
    for clone, name in ((a, "a.pdf"), (b, "b.pdf")):  # one line added two ways: git stops
        with (clone / ".gitignore").open("a", encoding="utf-8") as ignore:
            ignore.write(f"{name}\n")
    assert kehu("sync", store=a).code == 0

    stopped = kehu("sync", store=b)

    assert stopped.code == 1
    assert "cannot merge" in stopped.err and ".gitignore" in stopped.err
    shown = kehu("check", store=b)
    assert shown.code == 1 and ".gitignore:3: unresolved git merge" in shown.out
    again = kehu("sync", store=b)
    assert again.code == 1 and "still has git conflict markers" in again.err
    ignore = b / ".gitignore"
    text = ignore.read_text(encoding="utf-8")
    ignore.write_text(re.sub(r"<<<<<<< [^\n]*\n|=======\n|>>>>>>> [^\n]*\n", "", text),
                      encoding="utf-8")
    finished = kehu("sync", store=b)
    assert finished.code == 0, finished.err
    assert kehu("check", store=b).code == 0
    assert git(b, "status", "--porcelain") == ""
    assert git(remote, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")


def test_sync_never_commits_temp_files_of_a_killed_write(tmp_path: Path, remote: Path) -> None:
    a = first_clone(tmp_path, remote)
    cid = add(a, "--name", "赵敏")
    folder = Store.open(a).customer_dir(cid)
    (folder / ".customer.yaml.k3x9qa2m.tmp").write_text("id: half", encoding="utf-8")
    result = kehu("sync", store=a)
    assert result.code == 0, result.err
    assert not (folder / ".customer.yaml.k3x9qa2m.tmp").exists()
    assert ".tmp" not in git(a, "ls-files")


def test_git_setup_repairs_an_old_clone_and_is_idempotent(tmp_path: Path, remote: Path) -> None:
    a = first_clone(tmp_path, remote)
    (a / ".gitattributes").write_text("*.png binary\n", encoding="utf-8")
    git(a, "config", "--unset", "merge.kehu.driver")
    result = kehu("git-setup", store=a)
    assert result.code == 0
    assert "merge driver" in result.out and ".gitattributes" in result.out
    attributes = (a / ".gitattributes").read_text(encoding="utf-8")
    assert attributes.startswith("*.png binary\n")
    assert "customer.yaml merge=kehu" in attributes and "*.ledger.yaml merge=union" in attributes
    assert "already set up" in kehu("git-setup", store=a).out


def test_customer_log_shows_who_when_what(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cid = add(store_path, "--name", "赵敏")
    git(store_path, "add", "-A")
    git(store_path, "commit", "-qm", "赵敏: new customer")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "王芳")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "wangfang@shop.cn")
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2026-11-05T10:30:00+08:00")
    kehu("purchase", "add", cid, "--item", "龙井", "--price", "88", "--date", "2026-11-05",
         store=store_path)
    assert kehu("sync", store=store_path).code == 1  # no remote, but committed
    other = add(store_path, "--name", "李雷")
    git(store_path, "add", "-A")
    git(store_path, "commit", "-qm", "李雷: new customer")

    result = kehu("customer", "log", cid, "--json", store=store_path)

    entries = [e for e in result.json() if e["source"] == "git"]  # kehu's journal: tests/test_undo.py
    assert [e["subject"] for e in entries] == ["赵敏: purchase 龙井 88.00", "赵敏: new customer"]
    assert entries[0]["author"] == "王芳 <wangfang@shop.cn>"
    assert dt.datetime.fromisoformat(entries[0]["date"]).date() == dt.date(2026, 11, 5)
    assert any("/interactions/2026-11-05-" in f for f in entries[0]["files"])
    text = kehu("customer", "log", cid, store=store_path).out
    assert "王芳 <wangfang@shop.cn>" in text and "赵敏: purchase 龙井 88.00" in text
    assert other not in text


def test_handover_reassigns_every_customer_in_one_commit(store_path: Path) -> None:
    ids = [add(store_path, "--name", f"客户{i}", "--owner", "王芳") for i in range(5)]
    keep = add(store_path, "--name", "别人的客户", "--owner", "李明")
    git(store_path, "add", "-A")
    git(store_path, "commit", "-qm", "customers")

    result = kehu("handover", "王芳", "张伟", store=store_path)

    assert result.code == 0, result.err
    assert "reassigned 5 customers from 王芳 to 张伟" in result.out
    assert subjects(store_path)[0] == "handover: 5 customers of 王芳 to 张伟"
    diff = git(store_path, "show", "--format=", "--unified=0", "HEAD")
    changed = [ln for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    assert sorted(changed) == sorted(["-owner: 王芳", "+owner: 张伟"] * 5)
    store = Store.open(store_path)
    assert {store.get(i).owner for i in ids} == {"张伟"}
    assert store.get(keep).owner == "李明"
    assert git(store_path, "status", "--porcelain") == ""


def test_handover_refuses_an_unknown_rep(store_path: Path) -> None:
    add(store_path, "--name", "赵敏", "--owner", "王芳")
    before = git(store_path, "rev-parse", "HEAD")
    result = kehu("handover", "王小芳", "张伟", store=store_path)
    assert result.code == 1
    assert "unknown rep '王小芳'" in result.err and "王芳 (1)" in result.err
    assert git(store_path, "rev-parse", "HEAD") == before
