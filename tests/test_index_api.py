"""The index's public API: the query methods the rest of kehu uses instead of SQL, and the
plugin data API (per-plugin caches and tables keyed on the index generation)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kehu_core.index import Index
from kehu_core.models import Customer
from kehu_core.store import Store

from .conftest import fs_now

ROOT = Path(__file__).resolve().parents[1]

#: what only kehu_core/index/ may do: reach the connection or run SQL on it
_PRIVATE = re.compile(r"\bindex\.db\b|\.db\.(execute|executemany|executescript|cursor)\(|\bimport sqlite3\b|"
                      r"\bsqlite3\.")


def test_no_module_outside_the_index_package_touches_its_database() -> None:
    offenders = []
    for top in ("kehu_core", "plugins", "tui"):
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("kehu_core/index/"):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if _PRIVATE.search(line):
                    offenders.append(f"{rel}:{number}: {line.strip()}")
    assert offenders == [], "SQL on the index outside kehu_core/index/ (add a query method):\n" + "\n".join(offenders)


Shop = tuple[Store, dict[str, str]]  # the store and its customers' ids by name


@pytest.fixture
def shop(tmp_path: Path) -> Shop:
    """Three customers: two tagged with owners, one without anything; purchases, a visit, a
    message, a complaint, a ledger."""
    store = Store.init(tmp_path / "shop", "测试店")

    def customer(name: str, **fields: object) -> str:
        return store.add_customer(Customer(id=store.new_customer_id(), name=name, **fields)).id  # type: ignore[arg-type]

    zhao = customer("赵敏", tags=["vip", "tea"], owner="小李")
    qian = customer("钱多多", tags=["tea"], owner="小王")
    sun = customer("孙丽")
    store.add_interaction(zhao, {"kind": "purchase", "id": "2026-01-05-a", "date": "2026-01-05",
                                 "amount": "100.10", "paid": True, "items": [{"name": "龙井"}]})
    store.add_interaction(zhao, {"kind": "purchase", "id": "2026-03-01-b", "date": "2026-03-01",
                                 "amount": "50.25", "paid": False, "due": "2026-03-31", "by": "小张",
                                 "items": [{"name": "普洱"}]})
    store.add_interaction(zhao, {"kind": "visit", "id": "2026-03-02-v", "date": "2026-03-02", "text": "到店"})
    store.add_interaction(qian, {"kind": "purchase", "id": "2025-12-24-c", "date": "2025-12-24", "amount": "20"})
    store.add_interaction(qian, {"kind": "message", "id": "2026-02-01-m", "date": "2026-02-01",
                                 "channel": "email", "key": "spring/email"})
    store.add_interaction(sun, {"kind": "complaint", "id": "2026-02-10-k", "date": "2026-02-10", "text": "慢"})
    store.append_ledger(zhao, "points", {"date": "2026-01-05", "delta": 100})
    return store, {"zhao": zhao, "qian": qian, "sun": sun}


def test_profile_queries(shop: Shop) -> None:
    store, ids = shop
    index = store.index
    assert index.distinct_tags() == ["tea", "vip"]
    assert index.distinct_owners() == ["小李", "小王"]
    assert index.tags_by_customer() == {ids["zhao"]: ["vip", "tea"], ids["qian"]: ["tea"]}
    summaries = {s[0]: s for s in index.profile_summaries()}
    assert summaries[ids["zhao"]][1:4] == ("赵敏", "小李", None) and summaries[ids["sun"]][5] is False
    assert dict(index.profile_dicts())[ids["qian"]]["name"] == "钱多多"
    assert index.customer_paths()[ids["sun"]] == store.rel(store.customer_file(ids["sun"]))


def test_interaction_queries(shop: Shop) -> None:
    store, ids = shop
    index = store.index
    zhao, qian, sun = ids["zhao"], ids["qian"], ids["sun"]
    assert index.purchase_ids() == {(zhao, "2026-01-05-a"), (zhao, "2026-03-01-b"), (qian, "2025-12-24-c")}
    assert index.last_purchase(zhao)["id"] == "2026-03-01-b"  # type: ignore[index]
    assert index.last_purchase(sun) is None
    assert index.first_purchases() == {zhao: "2026-01-05", qian: "2025-12-24"}
    assert index.first_purchases(before="2026-01-01") == {qian: "2025-12-24"}
    assert index.revenue_between(zhao, "2026-01-05", "2026-03-01") == pytest.approx(150.35)
    assert index.revenue_between(zhao, "2026-01-06", "2026-02-28") == 0
    unpaid = index.unpaid_purchases("2026-12-31")
    assert [(u[0], u[1], u[3], u[5]) for u in unpaid] == [
        (qian, "2025-12-24-c", None, None), (zhao, "2026-03-01-b", "2026-03-31", "小张")]
    assert index.customers_messaged("spring/email") == {qian}
    assert index.customers_messaged("autumn/email") == set()
    assert index.purchase_totals() == {zhao: ("2026-03-01", 2, 15035), qian: ("2025-12-24", 1, 2000)}
    assert index.purchase_totals("2026-01-01", "2026-03-01") == {zhao: ("2026-01-05", 1, 10010)}


def test_item_kinds_follow_every_way_a_purchase_changes(shop: Shop) -> None:
    """What the shop sells in a window (a customer's attitude compares with it) is kept by the
    index as purchases are added, rewritten, voided and deleted by hand: always what the
    purchases in the files say."""
    from kehu_core.services import payments

    store, ids = shop
    index = store.index

    def from_files(since: str, until: str) -> set[tuple[str | None, str | None]]:
        kinds = set()
        for cid in ids.values():
            for record in store.interactions(cid):
                if record.kind == "purchase" and record.voided is None and since <= record.date.isoformat() < until:
                    kinds |= {(i.name or None, getattr(i, "category", None) or None) for i in record.items}
        return kinds

    store.add_interaction(ids["qian"], {"kind": "purchase", "id": "2026-03-05-d", "date": "2026-03-05",
                                        "amount": "30", "items": [{"name": "龙井", "category": "绿茶"},
                                                                  {"name": "紫砂壶", "category": "茶具"},
                                                                  {"name": "紫砂壶", "category": "茶具"}]})
    store.add_interaction(ids["sun"], {"kind": "purchase", "id": "2026-03-05-e", "date": "2026-03-05",
                                       "amount": "9", "items": [{"name": "紫砂壶", "category": "茶具"}]})
    windows = [("2026-01-01", "2026-12-31"), ("2026-03-01", "2026-03-02"), ("2025-01-01", "2026-03-05"),
               ("2026-03-05", "2026-03-06")]
    for since, until in windows:
        assert set(index.item_kinds(since, until)) == from_files(since, until), (since, until)
    payments.void(store, ids["sun"], "2026-03-05-e", reason="退货")
    assert ("紫砂壶", "茶具") in set(index.item_kinds("2026-03-05", "2026-03-06"))  # qian's still counts
    path = store.interactions_dir(ids["qian"]) / "2026-03-05-d.yaml"
    path.unlink()  # by hand
    store.index.refresh(full=True)
    for since, until in windows:
        assert set(index.item_kinds(since, until)) == from_files(since, until), (since, until)
    assert set(index.item_kinds("2026-03-05", "2026-03-06")) == set()


def test_the_totals_kept_per_customer_are_the_sums_of_their_purchases(shop: Shop) -> None:
    """The tiers rank customers by the purchases of a window, read from totals the index keeps
    per customer when the window holds all of a customer's purchases: the same figures, to the
    cent, as summing the purchases, in every window and after every way a purchase changes."""
    from kehu_core.services import payments

    store, ids = shop
    index = store.index
    zhao, qian, sun = ids["zhao"], ids["qian"], ids["sun"]
    windows = [(None, None), ("2026-01-01", None), (None, "2026-03-01"), ("2025-12-24", "2026-03-02"),
               ("2026-01-05", "2026-03-01"), ("2026-01-06", "2026-02-28"), ("2027-01-01", "2028-01-01")]

    def same_as_summed() -> None:
        for start, end in windows:
            summed = {cid: v for cid, v in index.purchase_totals(start, end).items() if cid in index.ids()}
            assert index.customer_purchase_totals(start, end) == summed, (start, end)

    same_as_summed()
    assert index.customer_purchase_totals("2025-12-24", "2026-03-02") == {
        zhao: ("2026-03-01", 2, 15035), qian: ("2025-12-24", 1, 2000)}
    store.add_interaction(sun, {"kind": "purchase", "id": "2026-03-05-e", "date": "2026-03-05", "amount": "0.05"})
    store.add_interaction(sun, {"kind": "purchase", "id": "2026-03-06-f", "date": "2026-03-06", "amount": "9.99"})
    same_as_summed()
    payments.void(store, sun, "2026-03-05-e", reason="退货")
    same_as_summed()
    assert index.customer_purchase_totals()[sun] == ("2026-03-06", 1, 999)
    path = store.interactions_dir(zhao) / "2026-01-05-a.yaml"  # an amount and a date changed by hand
    path.write_text(path.read_text(encoding="utf-8").replace("100.10", "70.01").replace(
        "date: 2026-01-05", "date: 2025-11-30"), encoding="utf-8")
    (store.interactions_dir(qian) / "2025-12-24-c.yaml").unlink()
    index.refresh(full=True)
    same_as_summed()
    profile = store.customer_file(zhao)  # the profile rewritten: its row is replaced, totals and all
    profile.write_text(profile.read_text(encoding="utf-8").replace("赵敏", "赵敏敏"), encoding="utf-8")
    index.refresh(full=True)
    assert index.get(zhao).customer.name == "赵敏敏"  # type: ignore[union-attr]
    assert index.customer_purchase_totals() == {zhao: ("2026-03-01", 2, 12026), sun: ("2026-03-06", 1, 999)}
    # a customer's file gone: their purchases are no customer's (as for the tiers, which rank customers)
    store.customer_file(sun).unlink()
    index.refresh(full=True)
    assert sun in index.purchase_totals() and sun not in index.customer_purchase_totals()
    same_as_summed()


def test_histories(shop: Shop) -> None:
    store, ids = shop
    index = store.index
    zhao, sun = ids["zhao"], ids["sun"]
    oldest_first = [json.loads(d)["id"] for cid, d in index.histories([zhao])]
    assert oldest_first == ["2026-01-05-a", "2026-03-01-b", "2026-03-02-v"]
    newest = [(cid, json.loads(d)["id"]) for cid, d in index.histories([zhao, sun], purchases=False, newest_first=True)]
    assert newest == [(zhao, "2026-03-02-v"), (sun, "2026-02-10-k")]
    everyone = [json.loads(d)["date"] for _, d in index.histories()]
    assert everyone == sorted(everyone) and len(everyone) == 6
    # more customers than one query takes: asked in parts
    many = [f"c{i}" for i in range(1200)] + [zhao]
    assert len(list(index.histories(many))) == 3
    picked = index.selected_histories([zhao, sun], purchases_between=("2026-03-01", "2026-12-31"))
    assert [json.loads(d)["id"] for _, d in picked] == ["2026-03-01-b"]
    latest = index.selected_histories([zhao], latest=True)
    assert sorted(json.loads(d)["id"] for _, d in latest) == ["2026-03-01-b", "2026-03-02-v"]
    unpaid = index.selected_histories([zhao], unpaid=True)
    assert [json.loads(d)["id"] for _, d in unpaid] == ["2026-03-01-b"]
    assert index.selected_histories([zhao]) == []


def test_file_queries(shop: Shop) -> None:
    store, ids = shop
    index = store.index
    assert index.customers_with_ledger("points.ledger.yaml") == [ids["zhao"]]
    assert index.customers_with_ledger("tiers.ledger.yaml") == []
    stray = store.root / "customers" / "notes.yaml"
    stray.write_text("hello: 1\n", encoding="utf-8")
    index.refresh(full=True)
    kinds = dict(index.files_of_kind("other", "ledger"))
    assert kinds == {"customers/notes.yaml": "other",
                     store.rel(store.ledger_file(ids["zhao"], "points")): "ledger"}
    assert index.orphan_record_files() == []
    store.customer_file(ids["sun"]).unlink()
    index.refresh(full=True)
    assert index.orphan_record_files() == [(store.rel(store.interactions_dir(ids["sun"]) / "2026-02-10-k.yaml"),
                                            "interaction")]


def test_differing_files_only_looks(shop: Shop) -> None:
    store, ids = shop
    past = fs_now(store.root) - 60  # on the files' clock; files changed in the
    # last 2 s are re-read anyway (racy mtimes)
    for path in (store.root / "customers").rglob("*.yaml"):
        os.utime(path, (past, past))
    index = store.index
    index.refresh(full=True)
    assert index.differing_files() == []
    path = store.customer_file(ids["qian"])
    with path.open("a", encoding="utf-8") as handle:  # in place, a different size
        handle.write("title: 经理\n")
    gone = store.interactions_dir(ids["sun"]) / "2026-02-10-k.yaml"
    gone.unlink()
    expected = sorted([store.rel(path), store.rel(gone)])
    assert sorted(index.differing_files()) == expected
    assert sorted(index.differing_files()) == expected  # looking wrote nothing
    index.refresh_paths([path, gone])
    assert index.differing_files() == [store.rel(path)]  # re-read, but just written: racy
    assert store.index.get(ids["qian"]).customer.title == "经理"  # type: ignore[union-attr]


def test_close_and_delete(shop: Shop) -> None:
    store, _ids = shop
    store.index.close()  # built (a refresh) and closed: another connection deletes it
    index = Index(store)
    assert index.count() == 3
    index.delete()
    assert not index.path.exists()
    fresh = Index(store)  # an empty index, built again by a refresh
    assert fresh.count() == 0
    fresh.refresh()
    assert fresh.count() == 3
    fresh.close()


# --- plugin data --------------------------------------------------------------------------


def test_plugin_table_values_survive_reopening(shop: Shop) -> None:
    store, ids = shop
    table = store.index.plugin_table("tiering", "tiers", ("tier", "revenue"))
    assert table.stamp() is None and table.get("s1", [ids["zhao"]]) is None and table.all("s1") is None
    assert table.replace_all("s1", {ids["zhao"]: ("主要客户", "150.35"), ids["qian"]: ("小客户", "20.00")})
    store.index.close()

    again = Index(store).plugin_table("tiering", "tiers", ("tier", "revenue"))
    assert again.stamp() == "s1"
    assert again.get("s1", [ids["zhao"], ids["sun"]]) == {ids["zhao"]: ("主要客户", "150.35")}
    assert again.all("s1") == {ids["zhao"]: ("主要客户", "150.35"), ids["qian"]: ("小客户", "20.00")}
    assert again.get("s2", [ids["zhao"]]) is None  # another stamp: nothing

    # put adds rows under the same stamp, and drops those of another stamp first
    assert again.put("s1", {ids["sun"]: ("小客户", "0.00")})
    assert len(again.all("s1") or {}) == 3
    assert again.put("s2", {ids["sun"]: ("小客户", "0.00")})
    assert again.all("s2") == {ids["sun"]: ("小客户", "0.00")} and again.all("s1") is None
    assert again.replace_all("s3", {})
    assert again.all("s3") == {}

    # other columns: a new table, the old rows are not read as the new ones
    other = Index(store).plugin_table("tiering", "tiers", ("tier",))
    assert other.stamp() is None
    assert other.put("s4", {ids["zhao"]: ("A",)}) and other.all("s4") == {ids["zhao"]: ("A",)}


def test_plugin_tables_are_apart_and_names_are_checked(shop: Shop) -> None:
    store, _ids = shop
    index = store.index
    a = index.plugin_table("reminders", "next", ("due", "value"))
    b = index.plugin_table("points", "next", ("due", "value"))
    a.replace_all("x", {"c1": ("2026-01-01", "{}")})
    assert b.all("x") is None and b.stamp() is None
    for bad in [("tiering", "tiers; DROP TABLE customers", ("a",)), ("tiering", "t", ("customer_id",)),
                ("tiering", "t", ("bad column",)), ('we"ird', "t", ("a",))]:
        with pytest.raises(ValueError):
            index.plugin_table(*bad)


def test_plugin_table_write_inside_someone_elses_transaction_is_skipped(shop: Shop) -> None:
    store, _ids = shop
    table = store.index.plugin_table("tiering", "tiers", ("tier",))
    with store.index.snapshot():
        assert table.replace_all("s1", {"c1": ("A",)}) is False
    assert table.all("s1") is None


def test_plugin_cache_is_emptied_when_the_generation_moves(shop: Shop) -> None:
    store, ids = shop
    index = store.index
    cache = index.plugin_cache("tiering")
    cache["last"] = "computed"
    before = cache.generation
    assert index.plugin_cache("tiering")["last"] == "computed"  # nothing changed
    assert index.plugin_cache("tiering") is cache
    assert "last" not in index.plugin_cache("reminders")  # one cache per plugin

    store.add_interaction(ids["sun"], {"kind": "visit", "date": "2026-04-01"})  # a write moves it
    after = index.plugin_cache("tiering")
    assert after.generation != before == cache.generation
    assert "last" not in after

    # a write by another process (another connection) moves it too
    after["last"] = "again"
    other = Store.open(store.root)
    other.add_interaction(ids["sun"], {"kind": "visit", "date": "2026-04-02"})
    other.index.close()
    index.refresh()
    assert "last" not in index.plugin_cache("tiering")


@pytest.mark.parametrize("key", ["tier", "points"])
@pytest.mark.parametrize("descending", [True, False])
def test_a_list_sorted_by_a_value_reads_page_by_page_as_it_reads_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, descending: bool) -> None:
    """Pages of a list sorted by a plugin's value, each found tie group by tie group (small
    groups sorted, big ones walked in name order, deep ones sorted), are the whole sorted list
    cut in pages: the TUI's pages and `customer list --sort` agree. The group sizes that choose
    the way are made small here, so 80 customers take every way."""
    from kehu_core.demo import generate
    from kehu_core.index.derived import Derived
    from kehu_core.services.derived_values import refresh_values

    root = tmp_path / "store"
    generate(root, 80)
    store = Store.open(root, today="2026-11-20", plugins=True)
    refresh_values(store)
    monkeypatch.setattr(Derived, "_SORT_UP_TO", 3)
    monkeypatch.setattr(Derived, "_WALK_UP_TO", 4)
    order = store.plugins.value_plugins()
    for owner in (None, "王芳"):
        whole = store.index.select_customers(order=key, descending=descending, owner=owner, plugins=order)
        assert len(whole) == (80 if owner is None else len(store.index.select_customers(owner=owner)))
        paged = []
        for offset in range(0, len(whole) + 7, 7):
            paged += store.index.select_customers(order=key, descending=descending, owner=owner,
                                                  limit=7, offset=offset, plugins=order)
        assert paged == whole


def test_the_owners_pinyin_order_is_kept_so_a_later_process_loads_no_pypinyin(shop: Shop) -> None:
    """The TUI's first screen lists the owners in pinyin order: a process after the first
    finds their keys in the index and does not import pypinyin (~0.3 s); a new owner is put
    in its place."""
    store, ids = shop
    assert store.index.distinct_owners() == ["小李", "小王"]
    for path in (store.root / "customers").rglob("*"):  # written a minute ago: the index need not look again
        os.utime(path, (path.stat().st_mtime - 60, path.stat().st_mtime - 60))
    store.index.refresh(full=True)
    probe = ("import sys; from pathlib import Path; from kehu_core.store import open_store;"
             " print(open_store(Path(sys.argv[1])).index.distinct_owners(), 'pypinyin' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe, str(store.root)], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['小李', '小王'] False"
    store.update_customer(ids["sun"], {"owner": "阿凯"})
    assert store.index.distinct_owners() == ["阿凯", "小李", "小王"]
