"""The shared tier maths (pyramid, ABC, RFM) and the stored tier figures that make them cheap
at scale: same answers as the plain definitions, refreshed when the records change."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from kehu_plugins.tiering import tiers as tiering

from kehu_core.services import scoring as seg
from kehu_core.services.scoring import CustomerActivity
from kehu_core.store import open_store

from .conftest import TODAY, fs_now, kehu, kehu_subprocess
from .pluginutil import add_customer, buy, configure

# --- the plain definitions, written the slow obvious way ------------------------------------


def plain_ranked(revenue: dict[str, Decimal]) -> list[str]:
    return sorted(revenue, key=lambda cid: (-revenue[cid], cid))


def plain_abc(revenue: dict[str, Decimal], a: float = 0.8, b: float = 0.95) -> dict[str, str]:
    total = sum(revenue.values(), Decimal(0))
    out, running = {}, Decimal(0)
    for cid in plain_ranked(revenue):
        if total <= 0 or revenue[cid] <= 0:
            out[cid] = "C"
            continue
        before = running / total
        out[cid] = "A" if before < Decimal(str(a)) else "B" if before < Decimal(str(b)) else "C"
        running += revenue[cid]
    return out


def plain_score(values: dict[str, float]) -> dict[str, int]:
    distinct = sorted(set(values.values()))
    if len(distinct) == 1:
        return dict.fromkeys(values, 3)
    return {cid: 1 + distinct.index(v) * 5 // len(distinct) for cid, v in values.items()}


revenues = st.dictionaries(
    st.text("abcdefgh", min_size=1, max_size=4),
    st.integers(0, 5000).map(lambda cents: Decimal(cents) / 100),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(revenues)
def test_ranking_and_abc_match_the_plain_definitions(revenue: dict[str, Decimal]) -> None:
    assert seg.ranked(revenue) == plain_ranked(revenue)
    assert seg.abc_classes(revenue) == plain_abc(revenue)
    tiers = seg.pyramid(revenue)
    ranked = plain_ranked(revenue)
    # the pyramid never puts a customer below someone who brought less
    order = list(seg.PYRAMID_NAMES)
    levels = [order.index(tiers[cid]) for cid in ranked]
    assert levels == sorted(levels)


activities = st.dictionaries(
    st.text("abcdefgh", min_size=1, max_size=4),
    st.tuples(st.integers(0, 400), st.integers(1, 6), st.integers(1, 9000)),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(activities)
def test_rfm_scores_match_the_plain_definition(raw: dict[str, tuple[int, int, int]]) -> None:
    act = {cid: CustomerActivity(TODAY - dt.timedelta(days=ago), n, Decimal(cents) / 100)
           for cid, (ago, n, cents) in raw.items()}
    scores = seg.rfm(act, TODAY)
    r = plain_score({cid: -ago for cid, (ago, _, _) in raw.items()})
    f = plain_score({cid: float(n) for cid, (_, n, _) in raw.items()})
    m = plain_score({cid: float(Decimal(c) / 100) for cid, (_, _, c) in raw.items()})
    assert {cid: (s.r, s.f, s.m) for cid, s in scores.items()} == {cid: (r[c], f[c], m[c]) for c in raw for cid in [c]}


def test_rfm_gives_the_middle_score_when_everyone_is_alike() -> None:
    # a new shop: three buyers, each bought once, the same amount, the same day
    act = {cid: CustomerActivity(TODAY - dt.timedelta(days=5), 1, Decimal("100")) for cid in "abc"}
    act["never"] = CustomerActivity(None, 0, Decimal(0))
    scores = seg.rfm(act, TODAY)
    assert set(scores) == {"a", "b", "c"}  # no purchase: no score
    assert {s.code for s in scores.values()} == {"333"}
    assert {s.segment for s in scores.values()} == {"需要关注"}
    # as soon as one differs, the scale spreads again
    act["c"] = CustomerActivity(TODAY, 3, Decimal("900"))
    scores = seg.rfm(act, TODAY)
    assert scores["c"].code > scores["a"].code and scores["a"].code[0] == "1"


def test_activity_sums_cents_exactly_in_the_window(store_path: Path) -> None:
    a, b, idle = (add_customer(store_path, n) for n in ("赵敏", "钱多", "孙闲"))
    for amount in ("0.10", "0.20", "0.30"):  # 0.1 + 0.2 + 0.3 is not 0.6 in floats
        buy(store_path, a, amount, "2026-11-01")
    buy(store_path, a, 999, "2025-01-01")  # before the window
    buy(store_path, b, "1288.5", "2026-11-20")  # the window's last day is excluded: [start, end)
    act = seg.activity(open_store(store_path), dt.date(2026, 1, 1), dt.date(2026, 11, 20))
    assert act[a] == CustomerActivity(dt.date(2026, 11, 1), 3, Decimal("0.6"))
    assert act[b] == act[idle] == CustomerActivity(None, 0, Decimal(0))
    assert seg.activity(open_store(store_path), None, None)[b].revenue == Decimal("1288.5")


# --- the stored tier figures --------------------------------------------------------------


def test_a_new_process_reads_the_stored_tiers_and_they_match_a_fresh_computation(
    small_store: Path,
) -> None:
    # files written seconds ago are re-read at every open (their mtime may not have moved yet),
    # which moves the index generation: age them as any store's files are
    old = fs_now(small_store) - 3600
    for path in small_store.rglob("*.yaml"):
        os.utime(path, (old, old))
    for path in [small_store, *(p for p in small_store.rglob("*") if p.is_dir())]:
        os.utime(path, (old, old))
    first = open_store(small_store)
    first.index.refresh(full=True)
    computed = tiering.compute(first).by_customer  # computes and stores
    second = open_store(small_store)  # as a new `kehu customer show` would
    stored = tiering.compute(second)
    assert stored._all is None  # not recomputed: read from the index
    some = sorted(computed)[:5]
    assert [stored.get(cid) for cid in some] == [computed[cid] for cid in some]
    assert stored.by_customer == computed
    assert tiering._compute(second, stored.as_of).by_customer == computed


def test_stored_tiers_follow_a_purchase_made_by_another_process(store_path: Path) -> None:
    configure(store_path, tiering={"scheme": "abc"})
    today = TODAY.isoformat()
    ids = [add_customer(store_path, f"客户{i}") for i in range(4)]
    for i, cid in enumerate(ids):
        buy(store_path, cid, 100 * (i + 1), today)
    shown = kehu("customer", "show", ids[0], "--json", store=store_path).json()
    assert shown["abc"] == "B"  # 100 of 1 000, the last 10 %
    reader = open_store(store_path)
    assert tiering.compute(reader).get(ids[0]).abc == "B"
    # another process (a rep's terminal) records a big sale for the smallest customer
    done = kehu_subprocess("purchase", "add", ids[0], "--amount", "100000", "--date", today,
                           store=store_path)
    assert done.returncode == 0, done.stderr
    assert tiering.compute(reader).get(ids[0]).abc == "A"
    assert kehu("customer", "show", ids[0], "--json", store=store_path).json()["abc"] == "A"


def test_changed_settings_are_not_answered_from_the_stored_tiers(store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏")
    buy(store_path, cid, 500, TODAY.isoformat())
    # alone, the customer is the pyramid's base
    assert kehu("customer", "show", cid, "--json", store=store_path).json()["tier"] == "小客户"
    configure(store_path, tiering={"scheme": "rfm"})
    assert kehu("customer", "show", cid, "--json", store=store_path).json()["tier"] == "需要关注"
