"""The tiering plugin on real stores: pyramid, ABC, RFM, overrides, the tiers ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from kehu_plugins.tiering import tiers as tiering

from kehu_core.store import open_store

from .conftest import TODAY, kehu
from .pluginutil import add_customer, buy, configure

DAY = (TODAY - dt.timedelta(days=3)).isoformat()


def test_demo_pyramid_is_1_19_30_50_percent_by_revenue(demo_copy: Path) -> None:
    result = kehu("tier", "--json", "--as-of", "2026-11-20", store=demo_copy)
    assert result.code == 0, result.err
    data = result.json()
    assert data["window"] == {"start": "2025-11-20", "end": "2026-11-20"}
    counts = {d["tier"]: d["customers"] for d in data["distribution"]}
    assert counts == {"重要客户": 2, "主要客户": 38, "普通客户": 60, "小客户": 100}
    # every customer of a higher tier brought at least as much as anyone below
    floors = [min(Decimal(p["revenue"]) for p in data["tiers"][t]) for t in counts]
    ceilings = [max(Decimal(p["revenue"]) for p in data["tiers"][t]) for t in counts]
    assert all(floors[i] >= ceilings[i + 1] for i in range(3))
    revenue_share = {d["tier"]: d["revenue_share"] for d in data["distribution"]}
    # the 80/20 the seeds talk about
    assert revenue_share["重要客户"] + revenue_share["主要客户"] > 0.5


def test_customer_list_filters_by_tier_and_show_has_tier(demo_copy: Path) -> None:
    configure(demo_copy, tiering={"as_of": "2026-11-20"})
    top = kehu("tier", "--json", store=demo_copy).json()["tiers"]["重要客户"]
    listed = kehu("customer", "list", "--tier", "重要客户", "--json", store=demo_copy)
    assert listed.code == 0, listed.err
    assert sorted(c["id"] for c in listed.json()) == sorted(p["id"] for p in top)
    shown = kehu("customer", "show", top[0]["id"], "--json", store=demo_copy).json()
    assert shown["tier"] == "重要客户"
    assert shown["abc"] == "A"
    assert len(shown["rfm"]) == 3 and shown["rfm_segment"]


def test_tiers_are_computed_once_per_process_until_the_index_changes(store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏")
    store = open_store(store_path)
    first = tiering.compute(store)
    assert tiering.compute(store) is first
    store.add_interaction(cid, {"kind": "purchase", "date": TODAY, "amount": 10, "paid": True})
    assert tiering.compute(store) is not first
    assert tiering.compute(store).by_customer[cid].revenue == Decimal("10.00")


def test_abc_and_rfm_schemes_are_selectable(store_path: Path) -> None:
    ids = [add_customer(store_path, f"客户{i}") for i in range(5)]
    for i, cid in enumerate(ids):
        for _ in range(i + 1):
            buy(store_path, cid, 1000 * (i + 1), DAY)
    configure(store_path, tiering={"scheme": "abc"})
    data = kehu("tier", "--json", store=store_path).json()
    assert data["scheme"] == "abc"
    assert [p["id"] for p in data["tiers"]["A"]][:1] == [ids[4]]
    assert {d["tier"] for d in data["distribution"]} == {"A", "B", "C"}

    configure(store_path, tiering={"scheme": "rfm"})
    shown = kehu("customer", "show", ids[4], "--json", store=store_path).json()
    assert shown["tier"] == shown["rfm_segment"]
    assert shown["rfm"][1:] == "55"  # most purchases, most money
    fresh = add_customer(store_path, "还没买过")
    assert kehu("customer", "show", fresh, "--json", store=store_path).json()["tier"] == "未购买"


def test_purchase_records_a_tier_move_with_date_from_to_and_why(store_path: Path) -> None:
    small = [add_customer(store_path, f"小{i}") for i in range(3)]
    for cid in small:
        buy(store_path, cid, 50, DAY)
    big = add_customer(store_path, "大客户")
    buy(store_path, big, 10, DAY)
    store = open_store(store_path)
    first = store.ledger(big, "tiers")
    assert len(first) == 1 and first[0]["from"] is None
    buy(store_path, big, 100000, DAY)
    entries = store.ledger(big, "tiers")
    assert len(entries) == 2
    move = entries[-1]
    assert move["from"] == first[0]["to"] and move["to"] != move["from"]
    assert move["date"] == TODAY and "purchase" in move["why"] and "100010.00" in move["why"]
    assert move["why"].startswith(f"purchase {move['ref']};")  # the purchase that moved them, as `ref`
    text = store.ledger_file(big, "tiers").read_text(encoding="utf-8")
    assert text.count("\n- {") + text.startswith("- {") == 2  # one line per entry

    recent = kehu("tier", "--json", store=store_path).json()["recent_changes"]
    assert {"customer_id": big, "name": "大客户", "from": move["from"], "to": move["to"],
            "date": TODAY.isoformat(), "why": move["why"], "id": move["id"], "ref": move["ref"]} in recent


def test_old_history_does_not_record_moves(store_path: Path) -> None:
    cid = add_customer(store_path, "老顾客")
    buy(store_path, cid, 900, (TODAY - dt.timedelta(days=800)).isoformat())
    assert open_store(store_path).ledger(cid, "tiers") == []


def test_record_sweep_is_idempotent(store_path: Path) -> None:
    ids = [add_customer(store_path, f"客户{i}") for i in range(4)]
    configure(store_path, tiering={"record_on_purchase": False})
    buy(store_path, ids[0], 500, DAY)
    assert open_store(store_path).ledger(ids[0], "tiers") == []
    first = kehu("tier", "record", "--json", store=store_path)
    assert first.code == 0, first.err
    assert sorted(c["customer_id"] for c in first.json()) == sorted(ids)
    again = kehu("tier", "record", "--json", store=store_path)
    assert again.json() == []


def test_a_big_store_records_tier_moves_in_the_review_not_in_the_purchase(store_path: Path) -> None:
    """record_on_purchase: auto (the default) records the buyer's move at once only up to
    auto_record_up_to customers: above it a purchase does not rank the whole store, and
    `kehu tier record` records the move."""
    ids = [add_customer(store_path, f"客户{i}") for i in range(3)]
    configure(store_path, tiering={"auto_record_up_to": 2})
    buy(store_path, ids[0], 500, DAY)
    assert open_store(store_path).ledger(ids[0], "tiers") == []
    recorded = kehu("tier", "record", "--json", store=store_path).json()
    assert ids[0] in {c["customer_id"] for c in recorded}
    configure(store_path, tiering={"auto_record_up_to": 3})
    buy(store_path, ids[1], 900, DAY)
    moves = open_store(store_path).ledger(ids[1], "tiers")
    assert moves and "purchase" in moves[-1]["why"]


def test_manual_override_wins_and_is_ledgered(store_path: Path) -> None:
    cid = add_customer(store_path, "新大客户")
    other = add_customer(store_path, "别人")
    buy(store_path, other, 800, DAY)
    result = kehu("tier", "set", cid, "重要客户", "--reason", "集团采购负责人", store=store_path)
    assert result.code == 0, result.err
    shown = kehu("customer", "show", cid, "--json", store=store_path).json()
    assert shown["tier"] == "重要客户" and shown["tier_override"] == "重要客户"
    store = open_store(store_path)
    assert "集团采购负责人" in store.ledger(cid, "tiers")[-1]["why"]
    data = kehu("tier", "--json", store=store_path).json()
    assert [p["overridden"] for p in data["tiers"]["重要客户"]] == [True]

    assert kehu("tier", "set", cid, "--clear", store=store_path).code == 0
    assert kehu("customer", "show", cid, "--json", store=store_path).json()["tier"] != "重要客户"


def test_unknown_tier_is_refused_and_flagged_by_check(store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏")
    path = open_store(store_path).customer_file(cid)
    before = path.read_bytes()
    bad = kehu("tier", "set", cid, "超级客户", store=store_path)
    assert bad.code == 1 and "超级客户" in bad.err and "Key customers" in bad.err  # as shown; 重要客户 is accepted too
    assert path.read_bytes() == before
    path.write_text(before.decode() + "tier_override: 超级客户\n", encoding="utf-8")
    check = kehu("check", store=store_path)
    assert check.code == 1
    assert f"{path}:1: tier_override '超级客户' is not a tier here" in check.out


def test_bad_settings_name_kehu_yaml_line_and_field(store_path: Path) -> None:
    configure(store_path, tiering={"scheme": "magic"})
    result = kehu("tier", store=store_path)
    assert result.code == 1
    lines = (store_path / "kehu.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "magic" in text)
    assert f"kehu.yaml:{line}: plugins.tiering.scheme:" in result.err


def test_disabled_plugin_adds_nothing(store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏")
    configure(store_path, disabled=["tiering"])
    shown = kehu("customer", "show", cid, "--json", store=store_path).json()
    assert "tier" not in shown
    result = kehu("tier", store=store_path)
    assert result.code == 1 and "not enabled" in result.err
    names = [p["name"] for p in kehu("plugins", "--json", store=store_path).json()]
    assert "tiering" not in names and "points" in names
