"""The field-by-field merge of customer.yaml: as a function, and as git's driver in real merges."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from kehu_core.services.profile_merge import Unmergeable, merge_texts
from kehu_core.store import Store
from kehu_core.yamlio import load_fast

from .conftest import git, kehu

BASE = """\
# 老客户，只喝明前龙井
id: c1
name: 赵敏
phones:
- '+8613912345678'   # 手机
level: 普通
owner: 王芳
tags:
- VIP
- 茶友
wechat: zm_1990
"""


def test_different_fields_merge_cleanly_and_keep_our_comments() -> None:
    ours = BASE.replace("level: 普通", "level: 金卡  # 十一月升级")
    theirs = BASE.replace("owner: 王芳", "owner: 李明").replace("wechat: zm_1990", "wechat: zm_new")
    result = merge_texts(BASE, ours, theirs)
    assert result.conflicts == []
    assert "level: 金卡  # 十一月升级" in result.text
    assert "owner: 李明" in result.text
    assert "wechat: zm_new" in result.text
    assert result.text.startswith("# 老客户，只喝明前龙井\n")
    phone_line = next(ln for ln in result.text.splitlines() if "+8613912345678" in ln)
    assert phone_line.rstrip().endswith("# 手机")


def test_lists_merge_as_sets_and_removals_are_honoured() -> None:
    ours = BASE.replace("- 茶友\n", "- 茶友\n- 老客户\n")  # we add 老客户
    theirs = BASE.replace("- VIP\n", "").replace("- 茶友\n", "- 茶友\n- 团购\n")
    theirs = theirs.replace("   # 手机\n", "   # 手机\n- '+8613800138000'\n")
    result = merge_texts(BASE, ours, theirs)
    data = load_fast_text(result.text)
    assert data["tags"] == ["茶友", "老客户", "团购"]  # VIP removed by them, both additions kept
    assert data["phones"] == ["+8613912345678", "+8613800138000"]
    assert result.conflicts == []


def test_a_field_changed_two_ways_is_kept_as_a_conflict_not_lost() -> None:
    ours = BASE.replace("level: 普通", "level: 金卡")
    theirs = BASE.replace("level: 普通", "level: 银卡")
    result = merge_texts(BASE, ours, theirs)
    data = load_fast_text(result.text)
    assert data["level"] == "金卡"
    assert data["conflicts"] == [{"field": "level", "ours": "金卡", "theirs": "银卡", "base": "普通"}]
    assert [c.field for c in result.conflicts] == ["level"]


def test_removed_on_one_side_changed_on_the_other_is_a_conflict() -> None:
    ours = BASE.replace("wechat: zm_1990\n", "")
    theirs = BASE.replace("wechat: zm_1990", "wechat: zm_2026")
    data = load_fast_text(merge_texts(BASE, ours, theirs).text)
    assert "wechat" not in data
    assert data["conflicts"] == [{"field": "wechat", "theirs": "zm_2026", "base": "zm_1990"}]


def test_field_added_only_by_them_lands_next_to_its_neighbour() -> None:
    theirs = BASE.replace("name: 赵敏\n", "name: 赵敏\nnickname: 敏姐\n")
    ours = BASE.replace("level: 普通", "level: 金卡")
    text = merge_texts(BASE, ours, theirs).text
    keys = [ln.split(":")[0] for ln in text.splitlines() if ln[:1].isalpha()]
    assert keys[:3] == ["id", "name", "nickname"]


def test_nested_unknown_fields_merge_key_by_key() -> None:
    base = BASE + "social:\n  wechat: a\n  weibo: b\n"
    ours = base.replace("wechat: a", "wechat: a2")
    theirs = base.replace("weibo: b", "weibo: b2")
    data = load_fast_text(merge_texts(base, ours, theirs).text)
    assert data["social"] == {"wechat": "a2", "weibo": "b2"}


def test_existing_conflicts_from_both_sides_are_kept() -> None:
    first = merge_texts(BASE, BASE.replace("普通", "金卡"), BASE.replace("普通", "银卡")).text
    second = merge_texts(BASE, BASE.replace("王芳", "李明"), BASE.replace("王芳", "张伟")).text
    data = load_fast_text(merge_texts(BASE, first, second).text)
    fields = [c["field"] for c in data["conflicts"]]
    assert sorted(fields) == ["level", "owner"]


def test_both_sides_created_the_same_id_with_no_common_ancestor() -> None:
    a = "id: C0001\nname: 赵敏\ntags:\n- VIP\n"
    b = "id: C0001\nname: 赵小敏\ntags:\n- 茶友\n"
    data = load_fast_text(merge_texts("", a, b).text)
    assert data["tags"] == ["VIP", "茶友"]
    assert data["conflicts"] == [{"field": "name", "ours": "赵敏", "theirs": "赵小敏"}]


def test_unreadable_side_is_refused() -> None:
    with pytest.raises(Unmergeable):
        merge_texts(BASE, BASE + "broken: [\n", BASE.replace("普通", "金卡"))


def load_fast_text(text: str) -> dict:
    import yaml

    from kehu_core.yamlio import FastLoader

    return yaml.load(text, Loader=FastLoader)  # noqa: S506


# --- real clones, real git merges through the installed driver -------------------------------


def clone_pair(tmp_path: Path) -> tuple[Path, Path, str]:
    """A store pushed to a bare remote and cloned twice (the second clone runs git-setup)."""
    a, remote, b = tmp_path / "a", tmp_path / "remote.git", tmp_path / "b"
    assert kehu("init", str(a)).code == 0
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(a, "remote", "add", "origin", str(remote))
    cid = kehu("customer", "add", "--name", "赵敏", "--phone", "13912345678", "--tag", "VIP",
               "--level", "普通", "--owner", "王芳", store=a).out.strip()
    path = Store.open(a).customer_file(cid)
    path.write_text("# 老客户\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    result = kehu("sync", store=a)
    assert result.code == 0, result.err
    git(tmp_path, "clone", "-q", str(remote), str(b))
    assert kehu("git-setup", store=b).code == 0
    return a, b, cid


def merge_from(a: Path, b: Path) -> subprocess.CompletedProcess[str]:
    """In clone b, fetch clone a's commits and merge them with plain `git merge`."""
    git(b, "fetch", "-q", str(a), "HEAD")
    return subprocess.run(["git", "merge", "--no-edit", "FETCH_HEAD"], cwd=b,
                          capture_output=True, text=True)


def commit_all(path: Path, message: str) -> None:
    git(path, "add", "-A")
    git(path, "commit", "-qm", message)


def test_git_merge_of_two_clones_editing_different_fields(tmp_path: Path) -> None:
    a, b, cid = clone_pair(tmp_path)
    assert kehu("customer", "set", cid, "level=金卡", "tags+=老客户", store=a).code == 0
    assert kehu("customer", "set", cid, "owner=李明", "nickname=敏姐", store=b).code == 0
    commit_all(a, "a: level")
    commit_all(b, "b: owner")

    merged = merge_from(a, b)

    assert merged.returncode == 0, merged.stdout + merged.stderr
    text = Store.open(b).customer_file(cid).read_text(encoding="utf-8")
    data = load_fast(Store.open(b).customer_file(cid))
    assert (data["level"], data["owner"], data["nickname"]) == ("金卡", "李明", "敏姐")
    assert data["tags"] == ["VIP", "老客户"]
    assert text.startswith("# 老客户\n")
    assert "conflicts" not in data
    assert "<<<<<<<" not in text
    assert kehu("check", store=b).code == 0


def test_git_merge_same_field_two_ways_is_reported_by_check_with_its_line(tmp_path: Path) -> None:
    a, b, cid = clone_pair(tmp_path)
    kehu("customer", "set", cid, "level=金卡", store=a)
    kehu("customer", "set", cid, "level=银卡", store=b)
    commit_all(a, "a")
    commit_all(b, "b")

    merged = merge_from(a, b)

    assert merged.returncode == 0, merged.stderr  # merged: the conflict lives in the file
    path = Store.open(b).customer_file(cid)
    lines = path.read_text(encoding="utf-8").splitlines()
    check = kehu("check", store=b)
    assert check.code == 1
    rel_line = [ln for ln in check.out.splitlines() if "merge conflict on level" in ln]
    assert len(rel_line) == 1
    reported_line = int(rel_line[0].split(":")[1])
    assert lines[reported_line - 1].strip() == "- field: level"
    assert "kept 银卡" in rel_line[0] and "金卡" in rel_line[0] and "普通" in rel_line[0]
    # the user decides, clears the conflict, and check passes again
    assert kehu("customer", "set", cid, "level=金卡", "conflicts=", store=b).code == 0
    assert kehu("check", store=b).code == 0


def test_interactions_and_ledgers_from_both_clones_all_survive(tmp_path: Path) -> None:
    a, b, cid = clone_pair(tmp_path)
    store_a, store_b = Store.open(a), Store.open(b)
    kehu("purchase", "add", cid, "--item", "龙井茶礼盒", "--price", "1288", "--date", "2026-11-01",
         store=a)
    kehu("interaction", "add", cid, "--kind", "visit", "--date", "2026-11-01", "--text", "来店",
         store=b)
    store_a.append_ledger(cid, "points", {"date": dt.date(2026, 11, 1), "delta": 128, "reason": "a"})
    store_b.append_ledger(cid, "points", {"date": dt.date(2026, 11, 2), "delta": 5, "reason": "b"})
    commit_all(a, "a")
    commit_all(b, "b")

    merged = merge_from(a, b)

    assert merged.returncode == 0, merged.stderr
    kinds = sorted(i.kind for i in Store.open(b).interactions(cid))
    assert kinds == ["purchase", "visit"]
    reasons = [e["reason"] for e in Store.open(b).ledger(cid, "points")]
    assert sorted(reasons) == ["a", "b", "purchase"]  # + the points plugin's line for the purchase
    assert kehu("check", store=b).code == 0


def test_broken_side_leaves_markers_and_git_stops(tmp_path: Path) -> None:
    a, b, cid = clone_pair(tmp_path)
    kehu("customer", "set", cid, "level=金卡", store=a)
    path = Store.open(b).customer_file(cid)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("level: 普通", "level: [普通"), encoding="utf-8")
    commit_all(a, "a")
    commit_all(b, "b broke it")

    merged = merge_from(a, b)

    assert merged.returncode != 0
    assert "<<<<<<<" in path.read_text(encoding="utf-8")
    check = kehu("check", store=b)
    assert check.code == 1
    assert f"customer.yaml:{marker_line(path)}: unresolved git merge conflict" in check.out


def marker_line(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, ln in enumerate(lines, 1) if ln.startswith("<<<<<<<"))


def test_driver_is_registered_by_absolute_interpreter_path(tmp_path: Path) -> None:
    import sys

    a = tmp_path / "a"
    kehu("init", str(a))
    driver = git(a, "config", "merge.kehu.driver").strip()
    assert driver.startswith(sys.executable) and driver.endswith("merge-file %O %A %B %P")
    attributes = git(a, "check-attr", "merge", "--", "customers/ab/x/customer.yaml",
                     "customers/ab/x/points.ledger.yaml")
    assert "customer.yaml: merge: kehu" in attributes
    assert "points.ledger.yaml: merge: union" in attributes
