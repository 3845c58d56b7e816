"""The YAML store: round trips, one-line diffs, atomic files, safe ids, the index."""

from __future__ import annotations

from pathlib import Path

import pytest

from kehu_core.errors import ConflictError, InvalidId, RecordError
from kehu_core.models import Customer
from kehu_core.store import Store, open_store

from .conftest import fs_now, git, kehu


def add(store_path: Path, *args: str) -> str:
    result = kehu("customer", "add", *args, store=store_path)
    assert result.code == 0, result.err
    return result.out.strip()


def changed_lines(store_path: Path) -> list[str]:
    """The lines ``git diff`` shows as removed or added since the last commit."""
    diff = git(store_path, "diff", "--unified=0")
    return [ln for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]


def test_comments_order_and_unknown_fields_survive_an_edit(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏", "--phone", "13912345678", "--tag", "VIP")
    path = Store.open(store_path).customer_file(cid)
    text = path.read_text(encoding="utf-8")
    text = "# 老客户，只喝明前龙井\n" + text.replace("tags:", "wechat_id: zm_1990  # 她的微信\ntags:")
    path.write_text(text, encoding="utf-8")

    assert kehu("customer", "set", cid, "level=金卡", store=store_path).code == 0

    after = path.read_text(encoding="utf-8")
    assert after.startswith("# 老客户，只喝明前龙井\n")
    assert "wechat_id: zm_1990  # 她的微信" in after
    keys = [line.split(":")[0] for line in after.splitlines() if line and line[0].isalpha()]
    assert keys.index("wechat_id") < keys.index("tags")
    assert "level: 金卡" in after


def test_one_field_edit_is_a_one_line_git_diff(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏", "--phone", "13912345678", "--level", "银卡", "--owner", "王芳")
    git(store_path, "add", "-A")
    git(store_path, "commit", "-qm", "add 赵敏")

    assert kehu("customer", "set", cid, "level=金卡", store=store_path).code == 0

    assert changed_lines(store_path) == ["-level: 银卡", "+level: 金卡"]


def test_resaving_unchanged_record_changes_nothing(store_path: Path) -> None:
    cid = add(store_path, "--name", "Emma Wilson", "--email", "emma@example.com")
    path = Store.open(store_path).customer_file(cid)
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    assert kehu("customer", "set", cid, "name=Emma Wilson", store=store_path).code == 0
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == mtime


def test_unsafe_ids_are_refused(store_path: Path) -> None:
    for bad in ("../x", "a/b", "..", ".hidden", "a b", ""):
        result = kehu("customer", "add", "--name", "x", "--id", bad, store=store_path)
        assert result.code == 1, bad
        assert "invalid customer id" in result.err
    assert not (store_path.parent / "x").exists()
    with pytest.raises(InvalidId):
        Store.open(store_path).customer_file("../../etc")


def test_new_ids_are_unique_and_safe() -> None:
    from kehu_core.ids import check_id, new_id

    ids = {new_id("c") for _ in range(20000)}
    assert len(ids) == 20000
    assert all(check_id(i) for i in ids)


def test_phones_are_e164_and_emails_validated(store_path: Path) -> None:
    cid = add(store_path, "--name", "Liam", "--phone", "139 1234 5678", "--phone", "00852 9123 4567",
              "--phone", "+86 137 0000 1111", "--email", "Liam@Example.COM")
    shown = kehu("customer", "show", cid, "--json", store=store_path).json()
    assert shown["phones"] == ["+8613912345678", "+85291234567", "+8613700001111"]
    assert shown["emails"] == ["Liam@example.com"]
    bad = kehu("customer", "add", "--name", "x", "--email", "not-an-email", store=store_path)
    assert bad.code == 1 and "Emails: item 1: not an email address" in bad.err


def test_region_comes_from_kehu_yaml(store_path: Path) -> None:
    config = store_path / "kehu.yaml"
    config.write_text(config.read_text().replace("region: CN", "region: GB"))
    cid = add(store_path, "--name", "Jack", "--phone", "020 7946 0958")
    assert kehu("customer", "show", cid, "--json", store=store_path).json()["phones"] == ["+442079460958"]


def test_broken_file_is_reported_with_line_and_the_rest_still_lists(store_path: Path) -> None:
    good = add(store_path, "--name", "赵敏")
    bad = add(store_path, "--name", "张三")
    path = Store.open(store_path).customer_file(bad)
    path.write_text(f"id: {bad}\nname: 张三\nphones:\n  - '12'\nbirthday: 1990-13-40\n", encoding="utf-8")

    result = kehu("check", store=store_path)
    assert result.code == 1
    lines = result.out.splitlines()
    assert any(line.startswith(f"{path}:4: phones") for line in lines)
    assert any(line.startswith(f"{path}:5: birthday") for line in lines)

    listed = kehu("customer", "list", "--json", store=store_path).json()
    assert [c["id"] for c in listed] == [good]


def test_malformed_yaml_names_the_line(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏")
    path = Store.open(store_path).customer_file(cid)
    path.write_text(f"id: {cid}\nname: 赵敏\ntags: [VIP\nlevel: 金卡\n", encoding="utf-8")
    result = kehu("check", store=store_path)
    assert result.code == 1
    assert result.out.startswith(f"{path}:")
    assert "invalid YAML" in result.out


def test_update_refuses_a_stale_version(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏")
    store = open_store(store_path)
    version = store.file_version(cid)
    store.update_customer(cid, {"level": "金卡"})
    with pytest.raises(ConflictError):
        store.update_customer(cid, {"level": "银卡"}, expect_version=version)
    assert store.get(cid).level == "金卡"


def test_invalid_update_writes_nothing(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏")
    path = Store.open(store_path).customer_file(cid)
    before = path.read_bytes()
    result = kehu("customer", "set", cid, "birthday=1990-02-30", store=store_path)
    assert result.code == 1
    # the value typed is named as the argument, not as a line of the file it never reached
    assert result.err.startswith("kehu: birthday: ") and "no such day" in result.err, result.err
    assert str(path) not in result.err
    assert path.read_bytes() == before


def test_no_temp_files_left_behind(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏")
    for level in ("银卡", "金卡", "钻石卡"):
        kehu("customer", "set", cid, f"level={level}", store=store_path)
    leftovers = [p for p in store_path.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_index_is_only_a_cache(store_path: Path) -> None:
    add(store_path, "--name", "赵敏", "--tag", "VIP")
    add(store_path, "--name", "钱多多")
    assert len(kehu("customer", "list", "--json", store=store_path).json()) == 2
    for f in (store_path / ".kehu").glob("index.sqlite*"):
        f.unlink()
    assert [c["name"] for c in kehu("customer", "list", "--tag", "VIP", "--json", store=store_path).json()] == ["赵敏"]


def test_index_notices_files_changed_outside_kehu(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏")
    kehu("customer", "list", store=store_path)
    path = Store.open(store_path).customer_file(cid)
    path.write_text(path.read_text(encoding="utf-8").replace("赵敏", "赵敏敏"), encoding="utf-8")
    assert [c["name"] for c in kehu("search", "赵敏敏", "--json", store=store_path).json()] == ["赵敏敏"]
    path.parent.joinpath("customer.yaml").unlink()
    assert kehu("customer", "list", "--json", store=store_path).json() == []


def test_customer_model_keeps_unknown_fields() -> None:
    c = Customer.model_validate({"id": "c1", "name": "赵敏", "wechat": "zm"})
    assert c.model_dump()["wechat"] == "zm"


def test_interaction_files_are_one_per_event(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏")
    for day in ("2026-01-05", "2026-01-05"):
        assert kehu("interaction", "add", cid, "--kind", "call", "--date", day, "--text", "回访",
                    store=store_path).code == 0
    files = sorted(Store.open(store_path).interactions_dir(cid).iterdir())
    assert len(files) == 2 and all(f.name.startswith("2026-01-05-") for f in files)


def test_bad_interaction_is_reported(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏")
    folder = Store.open(store_path).interactions_dir(cid)
    folder.mkdir(parents=True)
    (folder / "2026-01-01-x.yaml").write_text("kind: purchase\ndate: 2026-01-01\namount: lots\n")
    (folder / "2026-01-02-y.yaml").write_text("kind: gossip\ndate: 2026-01-02\n")
    result = kehu("check", store=store_path)
    assert result.code == 1
    assert f"{folder / '2026-01-01-x.yaml'}:3: amount" in result.out
    assert f"{folder / '2026-01-02-y.yaml'}:1:" in result.out
    with pytest.raises(RecordError):
        Store.open(store_path).interactions(cid)


def test_hand_written_indented_lists_keep_their_style_on_edit(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏")
    path = Store.open(store_path).customer_file(cid)
    path.write_text(f"id: {cid}\nname: 赵敏\nphones:\n  - '+8613912345678'  # 手机\ntags:\n  - VIP\n"
                    "level: 银卡\n", encoding="utf-8")
    git(store_path, "add", "-A")
    git(store_path, "commit", "-qm", "hand-written")

    assert kehu("customer", "set", cid, "level=金卡", store=store_path).code == 0

    assert changed_lines(store_path) == ["-level: 银卡", "+level: 金卡"]


def test_new_records_and_re_saves_use_one_list_style(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏", "--tag", "VIP", "--tag", "茶友")
    path = Store.open(store_path).customer_file(cid)
    assert "tags:\n- VIP\n- 茶友\n" in path.read_text(encoding="utf-8")
    assert kehu("customer", "set", cid, "tags+=团购", store=store_path).code == 0
    assert "tags:\n- VIP\n- 茶友\n- 团购\n" in path.read_text(encoding="utf-8")


def test_full_refresh_notices_a_removed_shard_and_a_stray_file(store_path: Path) -> None:
    import shutil

    keep = add(store_path, "--name", "留下")
    gone = add(store_path, "--name", "删掉")
    assert kehu("interaction", "add", keep, "--kind", "visit", "--text", "来过", store=store_path).code == 0
    store = open_store(store_path)
    assert store.index.count() == 2
    gone_dir = store.customer_dir(gone)
    shared_shard = gone_dir.parent == store.customer_dir(keep).parent
    shutil.rmtree(gone_dir if shared_shard else gone_dir.parent)  # a whole shard, usually
    (store_path / "customers" / "stray.yaml").write_text("x: 1\n")
    store.index.refresh(full=True)
    assert store.index.ids() == [keep]
    files = lambda: {p for (p,) in store.index.db.execute("SELECT path FROM files")}  # noqa: E731
    assert "customers/stray.yaml" in files()
    (store_path / "customers" / "stray.yaml").unlink()
    store.index.refresh(full=True)
    assert "customers/stray.yaml" not in files()
    assert not any(gone in p for p in files())


def test_reindex_sees_an_in_place_edit_and_rebuild_starts_over(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏")
    path = Store.open(store_path).customer_file(cid)
    with path.open("r+", encoding="utf-8") as handle:  # an editor rewriting the same file
        text = handle.read().replace("赵敏", "赵小敏")
        handle.seek(0)
        handle.write(text)
        handle.truncate()
    result = kehu("reindex", store=store_path)
    assert result.code == 0 and result.err.endswith("re-read, 1 customer\n"), result.err
    assert [c["name"] for c in kehu("search", "赵小敏", "--json", store=store_path).json()] == ["赵小敏"]
    assert kehu("reindex", "--rebuild", store=store_path).code == 0
    assert [c["name"] for c in kehu("customer", "list", "--json", store=store_path).json()] == ["赵小敏"]


def test_fast_search_paths_find_exactly_what_a_substring_scan_finds(demo_copy: Path) -> None:
    store = open_store(demo_copy)
    rows = list(store.index.db.execute("SELECT id, search, short FROM customers"))
    for query in ("zm", "赵敏", "敏", "1391", "VIP", "zhao", "qq.com", "茶艺", "霞", "+86 139"):
        from kehu_core.textsearch import normalise_query

        text, _ = normalise_query(query)
        column = 2 if len(text) < 3 else 1
        expected = {cid for cid, *texts in [(r[0], r[1], r[2]) for r in rows] if text in texts[column - 1]}
        found = {r.customer.id for r in store.index.search(query, limit=10_000)}
        assert found == expected, query
        assert expected, query


def test_quick_refresh_sees_files_replaced_added_and_removed(store_path: Path) -> None:
    import os
    import shutil

    from kehu_core.yamlio import atomic_write

    keep = add(store_path, "--name", "留下")
    gone = add(store_path, "--name", "删掉")
    assert kehu("interaction", "add", keep, "--kind", "visit", "--text", "来过", store=store_path).code == 0
    store = open_store(store_path)
    # written a minute ago, past the index's racy window: their mtimes are trusted (no sleep)
    past = fs_now(store_path) - 60  # on the files' clock, whatever time.time says
    for path in [store_path / "customers", *(store_path / "customers").rglob("*")]:
        os.utime(path, (past, past))
    store.index.refresh(full=True)
    assert store.index.refresh(full=False) == 0

    path = store.customer_file(keep)
    atomic_write(path, path.read_text(encoding="utf-8").replace("留下", "留下来"))  # as vim or git would
    shutil.rmtree(store.customer_dir(gone))
    assert store.index.refresh(full=False) == 2
    assert [r.customer.name for r in store.index.list()] == ["留下来"]

    # a folder vanishing moves only its parent's mtime: interactions/, then a whole shard
    assert [i["text"] for i in store.index.interactions()] == ["来过"]
    shutil.rmtree(store.interactions_dir(keep))
    store.index.refresh(full=False)
    assert store.index.interactions() == []
    assert [r.customer.name for r in store.index.list()] == ["留下来"]
    shutil.rmtree(store.customer_dir(keep).parent)
    store.index.refresh(full=False)
    assert store.index.list() == []
    assert store.index.refresh(full=True) == 0  # and the quick refresh left nothing stale behind


def test_customers_from_the_index_are_the_customers_in_the_files(demo_copy: Path) -> None:
    # the index skips re-normalising phones and emails it stored itself: the result must be the
    # same customer a fresh read of the file gives, for every customer of the demo shop
    store = open_store(demo_copy)
    rows = store.index.list()
    assert len(rows) == 200
    for row in rows:
        assert row.customer == store.get(row.customer.id)
        assert row.customer.phones and all(p.startswith("+") for p in row.customer.phones)


def test_reindex_of_named_paths_reads_just_those(store_path: Path) -> None:
    from kehu_core.index import Index

    edited = add(store_path, "--name", "赵敏")
    deleted = add(store_path, "--name", "钱多多")
    untouched = add(store_path, "--name", "孙丽")
    store = Store.open(store_path)
    kehu("customer", "list", store=store_path)  # the index knows all three
    profile = store.customer_file(edited)
    profile.write_text(profile.read_text(encoding="utf-8").replace("赵敏", "赵小敏"), encoding="utf-8")
    visits = store.interactions_dir(edited)
    visits.mkdir(exist_ok=True)
    (visits / "2026-11-02-handmade.yaml").write_text("kind: visit\ndate: 2026-11-02\ntext: 到店品茶\n",
                                                     encoding="utf-8")
    import shutil

    shutil.rmtree(store.customer_dir(deleted))
    other = store.customer_file(untouched)  # changed on disk but not named: must stay as indexed
    other.write_text(other.read_text(encoding="utf-8").replace("孙丽", "孙美丽"), encoding="utf-8")

    result = kehu("reindex", str(profile), str(visits), str(store.customer_dir(deleted)), store=store_path)
    assert result.code == 0, result.err
    assert "3 file(s) re-read" in result.err
    index = Index(Store.open(store_path))  # as it is now, without refreshing it
    assert sorted(r.customer.name for r in index.list()) == ["孙丽", "赵小敏"]
    assert [i["text"] for i in index.interactions("visit")] == ["到店品茶"]

    outside = kehu("reindex", str(store_path / "kehu.yaml"), store=store_path)
    assert outside.code == 1 and "not a file or folder under" in outside.err
    typo = kehu("reindex", str(profile) + "x", store=store_path)
    assert typo.code == 1 and "no such file or folder" in typo.err


def _index_tables(store_path: Path) -> dict[str, list[tuple]]:
    import sqlite3

    db = sqlite3.connect(store_path / ".kehu" / "index.sqlite")
    try:
        return {sql: db.execute(sql).fetchall() for sql in (
            # every column but version: the generation a customer last changed at depends on
            # how many transactions the build took
            "SELECT id, path, name, owner, level, phone, search, short, data, sort_name, last_contact,"
            " last_purchase, first_purchase, revenue, purchases FROM customers ORDER BY id",
            "SELECT * FROM tags ORDER BY 1, 2",
            "SELECT * FROM interactions ORDER BY customer_id, id",
            "SELECT path, size, customer_id, kind FROM files ORDER BY path",
            "SELECT path FROM dirs ORDER BY path",
            "SELECT * FROM problems ORDER BY path, line",
            "SELECT id, search FROM search_fts ORDER BY id",
        )}
    finally:
        db.close()


def test_a_first_build_on_worker_processes_equals_one_in_a_single_process(
        demo_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import shutil

    import kehu_core.index.full_refresh as index_module
    from kehu_core.index.refresh import Refresher

    if (os.cpu_count() or 1) < 2:
        pytest.skip("the parallel build needs two cores")
    broken = next(demo_copy.glob("customers/*/*/interactions/*.yaml"))
    broken.write_text("kind: visit\ndate: 2026-13-45\n", encoding="utf-8")  # a problem, in both builds
    parallel = tmp_path / "parallel"
    shutil.copytree(demo_copy, parallel)

    monkeypatch.setattr(index_module, "PARALLEL_THRESHOLD", 10**9)
    open_store(demo_copy).index  # noqa: B018 - opening builds the index
    pools: list[object] = []
    real_pool = Refresher._worker_pool
    monkeypatch.setattr(Refresher, "_worker_pool", lambda self: pools.append(self) or real_pool(self))
    monkeypatch.setattr(index_module, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(index_module, "BUILD_COMMIT_FILES", 300)  # several transactions
    open_store(parallel).index  # noqa: B018

    assert pools, "the parallel path was not taken"
    single, spread = _index_tables(demo_copy), _index_tables(parallel)
    assert single == spread
    problems = single["SELECT * FROM problems ORDER BY path, line"]
    assert [p[0] for p in problems] == [broken.relative_to(demo_copy).as_posix()]
    # and both are what the files say (the two builds share code, so check against the files)
    files = Store.open(parallel)
    customers = [files.get(cid) for cid in files.iter_customer_ids()]
    assert len(customers) == len(next(v for k, v in single.items() if "FROM customers" in k)) == 200
    assert sorted((c.id, t) for c in customers for t in c.tags) == spread["SELECT * FROM tags ORDER BY 1, 2"]
    interaction_files = list(parallel.glob("customers/*/*/interactions/*.yaml"))
    assert len(spread["SELECT * FROM interactions ORDER BY customer_id, id"]) == len(interaction_files) - 1


def test_names_are_listed_in_pinyin_order_among_latin_names(store_path: Path) -> None:
    for name in ("赵敏", "Zoe", "白云", "Ava", "安娜", "阿强"):
        add(store_path, "--name", name)
    listed = [c["name"] for c in kehu("customer", "list", "--json", store=store_path).json()]
    # a qiang, an na, ava, bai yun, zhao min, zoe: as a phone lists contacts, not by character code
    assert listed == ["阿强", "安娜", "Ava", "白云", "赵敏", "Zoe"]
    # surname first, syllable by syllable: 杜 (du) before 段 (duan), whatever follows
    add(store_path, "--name", "段刚")
    add(store_path, "--name", "杜海燕")
    listed = [c["name"] for c in kehu("customer", "list", "--json", store=store_path).json()]
    assert listed.index("杜海燕") < listed.index("段刚")


def test_a_full_comparison_listing_shards_in_worker_processes_sees_every_change(
        demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import shutil

    import kehu_core.index.full_refresh as index_module
    from kehu_core.index.refresh import Refresher

    if (os.cpu_count() or 1) < 2:
        pytest.skip("needs two cores")
    store = open_store(demo_copy)
    rows = store.index.list()
    edited, deleted = rows[0].customer.id, rows[1].customer.id
    path = store.customer_file(edited)
    with path.open("r+", encoding="utf-8") as handle:  # in place: no folder mtime moves
        text = handle.read().replace(f"name: {rows[0].customer.name}", "name: 改名了")
        handle.seek(0)
        handle.write(text)
        handle.truncate()
    shutil.rmtree(store.customer_dir(deleted))
    monkeypatch.setattr(index_module, "FULL_SCAN_FILES", 0)  # "big": shards listed by workers
    pools: list[object] = []
    real_pool = Refresher._worker_pool
    monkeypatch.setattr(Refresher, "_worker_pool", lambda self: pools.append(self) or real_pool(self))

    assert store.index.refresh(full=True) >= 2
    assert pools, "the shards were not listed in worker processes"
    names = {r.customer.id: r.customer.name for r in store.index.list()}
    assert names[edited] == "改名了" and deleted not in names and len(names) == 199


def test_an_unknown_referrer_is_refused_by_every_door_with_one_message(store_path: Path) -> None:
    cid = add(store_path, "--name", "赵敏")
    added = kehu("customer", "add", "--name", "周芷若", "--referrer", "c1nobody", store=store_path)
    changed = kehu("customer", "set", cid, "referrer=c1nobody", store=store_path)
    rule = open_store(store_path).referrer_problem("c1nobody")  # what the TUI form shows
    assert rule is not None and added.code == changed.code == 1
    assert rule in added.err and rule in changed.err
    assert "referrer" not in open_store(store_path).customer_file(cid).read_text(encoding="utf-8")


@pytest.mark.parametrize(("typed", "shown"), [
    ("'+8612'", "not a phone number: '+8612'"),  # not a number at all
    ("'139 1234 5679'", "139 1234 5679"),  # a number as people write it: read in the store's region
    ("'+8613912345678', '+8613912345678'", "139 1234 5678"),  # the same number twice: kept once
])
def test_a_number_typed_into_an_indexed_customer_is_checked_as_ever(store_path: Path, typed: str, shown: str) -> None:
    """Phones and emails equal to the index's are not parsed again when one customer is read
    (Store._validated_before); anything else in the file meets the phone rule at every door."""
    cid = add(store_path, "--name", "赵敏", "--phone", "13912345678", "--email", "zm@example.cn")
    assert kehu("customer", "show", cid, store=store_path).code == 0  # indexed, with its numbers
    path = Store.open(store_path).customer_file(cid)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("- '+8613912345678'", "").replace("phones:\n", f"phones: [{typed}]\n"),
                    encoding="utf-8")
    result = kehu("customer", "show", cid, store=store_path)
    if shown.startswith("not a phone number"):
        assert result.code == 1 and shown in result.err and f"{path.name}:" in result.err
    else:
        assert result.code == 0, result.err
        phones = [line.split(None, 1)[1] for line in result.out.splitlines() if line.startswith("Phones")]
        assert phones == [shown]


def test_init_refuses_a_folder_of_other_files_whose_sync_would_share_them(tmp_path: Path) -> None:
    """`kehu init .` in a git project committed the project's own files in its first commit,
    and `kehu sync` would have pushed them to the team: a folder holding anything but a .git
    is refused, naming what is there, and nothing is written."""
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    (project / "notes.txt").write_text("私人笔记", encoding="utf-8")
    result = kehu("init", str(project))
    assert result.code == 1 and "Traceback" not in result.err, result.err
    assert "not empty (notes.txt)" in result.err
    assert sorted(p.name for p in project.iterdir()) == [".git", "notes.txt"]
    # an empty folder, or one holding only a git repository, is made a store
    empty_repo = tmp_path / "repo"
    empty_repo.mkdir()
    git(empty_repo, "init", "-q")
    assert kehu("init", str(empty_repo)).code == 0
    assert (empty_repo / "kehu.yaml").is_file()
