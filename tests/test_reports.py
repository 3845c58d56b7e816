"""Reports on a store whose right answers are worked out by hand, and on the demo store.

The known store (as of 2026-06-30, default settings new/active 90 days, churn 180 days):

    alice  王芳  2026-01-10 茶A 1×100 unpaid due 05-15 | 05-01 茶B 1×1000 unpaid due 05-31
                 | 06-10 茶A 2×100 paid                                    → active
    bob    李强  2026-03-15 茶C 10×30 unpaid (no due) | 06-20 茶B 1×500 unpaid (no due) → active
    carol  王芳  2025-11-01 茶C 1×50 paid, complaint 2025-11-05 open 太贵      → churned
    dave   -     2026-02-15 茶D 1×400 unpaid due 04-01, sold by 陈静          → dormant
    erin   -     no purchase (created 2026-01-01)                             → prospect
    frank  王芳  2026-06-01 茶A 1×100 unpaid due 07-01 (created 2026-05-20)   → new
                 2026-07-05 茶A 50 unpaid: after "today", must never count
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from kehu_core import reports as an
from kehu_core.demo import TODAY
from kehu_core.models import Customer
from kehu_core.store import Store, open_store
from tests.conftest import kehu

T = dt.date(2026, 6, 30)
D = dt.date.fromisoformat


def _buy(store: Store, cid: str, day: str, name: str, qty: int, price: int, *,
         paid: bool = True, due: str | None = None, by: str | None = None) -> None:
    store.add_interaction(cid, {
        "kind": "purchase", "date": D(day), "items": [{"name": name, "qty": qty, "price": price}],
        "paid": paid, "due": D(due) if due else None, "by": by,
    })


def build_known(path: Path) -> Store:
    """Fill the (empty) store at ``path`` with the customers in this module's docstring."""
    store = open_store(path)
    people = [
        ("alice", "Alice 王", "王芳", ["VIP"], "1980-06-15", "2025-01-01", ["alice@example.com"]),
        ("bob", "Bob 李", "李强", ["团购"], None, "2025-01-01", ["bob@example.com"]),
        ("carol", "Carol 陈", "王芳", [], "--07-02", "2025-01-01", []),
        ("dave", "Dave 刘", None, ["VIP"], None, "2025-01-01", []),
        ("erin", "Erin 赵", None, [], None, "2026-01-01", []),
        ("frank", "Frank 周", "王芳", [], None, "2026-05-20", []),
    ]
    for cid, name, owner, tags, birthday, created, emails in people:
        store.add_customer(Customer(
            id=cid, name=name, owner=owner, tags=tags, birthday=birthday,
            created=D(created), emails=emails, phones=["13912345678"],
        ))
    _buy(store, "alice", "2026-01-10", "茶A", 1, 100, paid=False, due="2026-05-15")
    _buy(store, "alice", "2026-05-01", "茶B", 1, 1000, paid=False, due="2026-05-31")
    _buy(store, "alice", "2026-06-10", "茶A", 2, 100)
    _buy(store, "bob", "2026-03-15", "茶C", 10, 30, paid=False)
    _buy(store, "bob", "2026-06-20", "茶B", 1, 500, paid=False)
    _buy(store, "carol", "2025-11-01", "茶C", 1, 50)
    store.add_interaction("carol", {"kind": "visit", "date": D("2025-10-01"), "text": "试喝"})
    store.add_interaction("carol", {"kind": "complaint", "date": D("2025-11-05"),
                                    "text": "太贵", "status": "open"})
    _buy(store, "dave", "2026-02-15", "茶D", 1, 400, paid=False, due="2026-04-01", by="陈静")
    _buy(store, "frank", "2026-06-01", "茶A", 1, 100, paid=False, due="2026-07-01")
    _buy(store, "frank", "2026-07-05", "茶A", 1, 50, paid=False)
    return store


@pytest.fixture
def known(store_path: Path) -> Path:
    build_known(store_path)
    return store_path


# --- products -------------------------------------------------------------------------------


def test_products_hot_slow_and_trend(known: Path) -> None:
    report = an.products_report(open_store(known), an.Period.between(D("2026-04-01"), T))
    assert report.previous == an.Period(D("2025-12-31"), D("2026-04-01"))
    rows = {p.name: p for p in report.products}
    assert [p.name for p in report.products] == ["茶B", "茶A", "茶C", "茶D"]
    assert (rows["茶B"].revenue, rows["茶B"].units, rows["茶B"].buyers) == (1500, 2, 2)
    assert (rows["茶A"].revenue, rows["茶A"].units, rows["茶A"].buyers) == (300, 3, 2)
    assert rows["茶B"].revenue_change is None  # not sold in the previous period: new
    assert rows["茶A"].revenue_change == 200.0  # 100 → 300
    assert rows["茶C"].revenue == 0 and rows["茶C"].prev_revenue == 300
    assert [p.name for p in report.hot] == ["茶B"]
    assert [p.name for p in report.slow] == ["茶C", "茶D"]
    assert report.revenue == 1800 and report.prev_revenue == 800


def test_line_revenue_spreads_a_discount_and_splits_unpriced_items() -> None:
    discounted = {"amount": 90, "items": [{"name": "x", "qty": 1, "price": 60},
                                          {"name": "y", "qty": 1, "price": 40}]}
    assert an.line_revenue(discounted) == [("x", 1, Decimal("54.00")), ("y", 1, Decimal("36.00"))]
    unpriced = {"amount": 100, "items": [{"name": "x", "qty": 1}, {"name": "y", "qty": 2}]}
    assert an.line_revenue(unpriced) == [("x", 1, Decimal("33.33")), ("y", 2, Decimal("66.67"))]
    assert an.line_revenue({"amount": 20}) == [(an.NO_ITEMS, 1, Decimal("20.00"))]


def test_products_cli_json_and_table(known: Path) -> None:
    result = kehu("report", "products", "--today", "2026-06-30", "--since", "2026-04-01",
                  "--json", store=known)
    assert result.code == 0, result.err
    data = result.json()
    assert data["hot"] == ["茶B"] and data["slow"] == ["茶C", "茶D"]
    assert data["period"] == {"start": "2026-04-01", "end": "2026-06-30", "days": 91}
    assert data["products"][0]["revenue"] == 1500.0
    table = kehu("report", "products", "--as-of", "2026-06-30", "--period", "91d", store=known)
    assert table.code == 0, table.err
    assert " hot " in table.out and " slow " in table.out and "+200.0%" in table.out
    assert "热销" not in table.out  # the JSON keeps 热销 / 滞销; an English table says hot / slow
    zh = kehu("--lang", "zh_CN", "report", "products", "--as-of", "2026-06-30", "--period", "91d", store=known)
    assert "热销" in zh.out and "滞销" in zh.out and " hot " not in zh.out


# --- ABC / Pareto ---------------------------------------------------------------------------


def test_abc_pareto_and_movements(known: Path) -> None:
    report = an.abc_report(open_store(known), an.Period.between(D("2026-04-01"), T))
    cur, prev = report.current, report.previous
    assert (cur.buyers, cur.revenue, cur.top20_customers) == (3, 1800, 1)
    assert cur.top20_share == 66.7  # alice: 1200 of 1800
    assert {c.id: c.abc for c in report.customers} == {"alice": "A", "bob": "A", "frank": "B"}
    assert cur.classes["A"]["customers"] == 2 and cur.classes["B"]["revenue"] == 100
    assert (prev.buyers, prev.revenue, prev.top20_share) == (3, 800, 50.0)  # dave: 400 of 800
    assert report.movements["B"]["A"] == 1  # alice rose
    assert report.movements["A"]["A"] == 1  # bob stayed
    assert report.movements["A"]["-"] == 1  # dave stopped buying
    assert report.movements["-"]["B"] == 1  # frank is new
    assert cur.curve[-1] == 100.0 and cur.curve[0] == 66.7


def test_abc_cli(known: Path) -> None:
    data = kehu("report", "abc", "--today", "2026-06-30", "--since", "2026-04-01", "--json",
                store=known).json()
    assert data["current"]["top20_share"] == 66.7
    assert data["customers"][0] == {
        "id": "alice", "name": "Alice 王", "owner": "王芳", "revenue": 1200.0, "share": 66.7,
        "abc": "A", "prev_abc": "B", "prev_revenue": 100.0,
    }
    out = kehu("report", "abc", "--today", "2026-06-30", "--since", "2026-04-01", store=known)
    assert "66.7%" in out.out and "snapshot" in out.out


# --- lifecycle and RFM ----------------------------------------------------------------------


def test_stages_on_a_day(known: Path) -> None:
    store = open_store(known)
    assert an.stages(store, T) == {
        "alice": "active", "bob": "active", "carol": "churned", "dave": "dormant",
        "erin": "prospect", "frank": "new",
    }
    assert an.stages(store, D("2026-03-31")) == {
        "alice": "new", "bob": "new", "carol": "dormant", "dave": "new",
        "erin": "prospect", "frank": "not_yet",
    }


def test_lifecycle_movements(known: Path) -> None:
    report = an.lifecycle_report(open_store(known), T, D("2026-03-31"))
    assert report.counts == {"prospect": 1, "new": 1, "active": 2, "dormant": 1, "churned": 1}
    assert report.movements["new"]["active"] == 2
    assert report.movements["new"]["dormant"] == 1
    assert report.movements["dormant"]["churned"] == 1
    assert report.movements["not_yet"]["new"] == 1
    assert report.movements["prospect"]["prospect"] == 1
    assert {(m["id"], m["from"], m["to"]) for m in report.moved} == {
        ("alice", "new", "active"), ("bob", "new", "active"), ("dave", "new", "dormant"),
        ("carol", "dormant", "churned"), ("frank", "not_yet", "new"),
    }


def test_lifecycle_settings_from_kehu_yaml(known: Path) -> None:
    with (known / "kehu.yaml").open("a", encoding="utf-8") as f:
        f.write("reports:\n  churn_days: 120\n")
    # dave's last purchase was 135 days ago: dormant with 180, churned with 120
    assert an.stages(open_store(known), T)["dave"] == "churned"
    data = kehu("report", "lifecycle", "--today", "2026-06-30", "--json", store=known).json()
    assert data["counts"]["churned"] == 2 and data["settings"]["churn_days"] == 120


def test_bad_report_settings_name_kehu_yaml(known: Path) -> None:
    with (known / "kehu.yaml").open("a", encoding="utf-8") as f:
        f.write("reports:\n  churn_dayz: 120\n")
    result = kehu("report", "churn", store=known)
    assert result.code == 1
    assert "kehu.yaml:9: reports.churn_dayz" in result.err, result.err  # at its line, as check says


def test_rfm_segments_and_clv(known: Path) -> None:
    report = an.rfm_report(open_store(known), T)
    rows = {c.id: c for c in report.customers}
    assert set(rows) == {"alice", "bob", "carol", "dave", "frank"}  # erin never bought
    assert (rows["alice"].code, rows["alice"].segment) == ("445", "冠军客户")
    assert rows["bob"].segment == "潜力客户" and rows["carol"].segment == "沉睡客户"
    # CLV = revenue + AOV × purchases a year × 3 years × P(alive)
    assert rows["bob"].clv == Decimal("3200.00")  # 800 + 400 × 2 × 3 × 1
    assert rows["dave"].clv == Decimal("1000.00")  # 400 + 400 × 1 × 3 × 0.5 (dormant)
    assert rows["carol"].clv == Decimal("50.00")  # churned: nothing more expected
    assert rows["frank"].clv == Decimal("400.00")  # new: 100 + 100 × 1 × 3
    assert rows["alice"].aov == Decimal("433.33") and rows["alice"].per_year == 3.0
    assert report.stages == {"prospect": 1, "new": 1, "active": 2, "dormant": 1, "churned": 1}
    assert report.customers[0].id == "alice"  # highest CLV first
    out = kehu("report", "rfm", "--today", "2026-06-30", store=known)
    assert out.code == 0 and "Champions" in out.out and "3,200.00" in out.out  # 冠军客户, in English
    zh = kehu("--lang", "zh_CN", "report", "rfm", "--today", "2026-06-30", store=known)
    assert zh.code == 0 and "冠军客户" in zh.out and "Champions" not in zh.out


# --- churn ----------------------------------------------------------------------------------


def test_churn_who_when_group_and_complaints(known: Path) -> None:
    report = an.churn_report(open_store(known), T)
    assert [c.id for c in report.churned] == ["carol"]
    carol = report.churned[0]
    assert carol.last_purchase == D("2025-11-01") and carol.days_since == 241
    assert carol.group == "小客户"  # the pyramid's bottom tier (she spent 50)
    assert carol.complaints == [
        {"date": "2025-11-05", "status": "open", "text": "太贵", "resolution": None}]
    assert [e["kind"] for e in carol.last_interactions] == ["complaint", "visit"]
    assert report.by_month == {"2025-11": 1}
    assert (report.with_complaints, report.with_open_complaints) == (1, 1)
    assert report.dormant == 1 and report.buyers == 5
    assert report.revenue_lost == Decimal("50.00")


def test_churn_cli(known: Path) -> None:
    data = kehu("report", "churn", "--today", "2026-06-30", "--json", store=known).json()
    assert [c["name"] for c in data["churned"]] == ["Carol 陈"]
    out = kehu("report", "churn", "--today", "2026-06-30", store=known)
    assert "1 of 5 buyers churned" in out.out and "太贵" in out.out


# --- receivables ----------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "bucket"), [
    (-1, "not_due"), (0, "0-30"), (30, "0-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"),
    (90, "61-90"), (91, "90+"),
])
def test_age_buckets_edges(days: int, bucket: str) -> None:
    assert an.age_bucket(days) == bucket


def test_receivables_by_age_and_rep(known: Path) -> None:
    report = an.receivables_report(open_store(known), T)
    got = {b: (v["count"], v["amount"]) for b, v in report.buckets.items()}
    assert got == {"not_due": (1, 100), "0-30": (2, 1500), "31-60": (1, 100),
                   "61-90": (1, 400), "90+": (1, 300)}
    assert report.total == 2400  # frank's purchase of 2026-07-05 is after "today"
    assert report.by_rep["王芳"]["total"] == 1200 and report.by_rep["王芳"]["not_due"] == 100
    assert report.by_rep["李强"]["90+"] == 300 and report.by_rep["李强"]["0-30"] == 500
    assert report.by_rep["陈静"]["61-90"] == 400  # dave has no owner: the seller
    first = report.items[0]
    assert (first.customer_id, first.days_overdue, first.due) == ("bob", 107, None)


def test_receivables_cli(known: Path) -> None:
    data = kehu("report", "receivables", "--today", "2026-06-30", "--json", store=known).json()
    assert data["total"] == 2400.0 and data["buckets"]["90+"] == {"count": 1, "amount": 300.0}
    out = kehu("report", "receivables", "--today", "2026-06-30", store=known)
    assert out.code == 0 and "2,400.00 unpaid" in out.out and "王芳" in out.out


# --- bad input and the demo store -----------------------------------------------------------


def test_bad_period_is_a_usage_error(known: Path) -> None:
    result = kehu("report", "products", "--period", "ninety", store=known)
    assert result.code == 2 and "90d" in result.err
    result = kehu("report", "abc", "--since", "2026-05-01", "--until", "2026-04-01", store=known)
    assert result.code == 2 and "before" in result.err


def test_reports_on_an_empty_store(store_path: Path) -> None:
    for name in ("products", "abc", "rfm", "lifecycle", "churn", "receivables"):
        result = kehu("report", name, "--json", store=store_path)
        assert result.code == 0, (name, result.err)


def test_every_report_runs_on_the_demo_store(demo_copy: Path) -> None:
    for name in ("products", "abc", "rfm", "lifecycle", "churn", "receivables"):
        table = kehu("report", name, "--today", TODAY.isoformat(), store=demo_copy)
        assert table.code == 0, (name, table.err)
        assert table.out.strip()
        data = kehu("report", name, "--today", TODAY.isoformat(), "--json", store=demo_copy)
        assert isinstance(data.json(), dict)


def test_demo_store_figures_are_sane(demo_copy: Path) -> None:
    store = open_store(demo_copy)
    period = an.Period.ending(TODAY, "180d")
    abc = an.abc_report(store, period)
    # the demo's spending follows a Pareto curve: a few customers bring most of the revenue
    assert 50 < abc.current.top20_share < 100
    assert abc.current.classes["A"]["customers"] < abc.current.classes["C"]["customers"]
    life = an.lifecycle_report(store, TODAY, TODAY - dt.timedelta(days=90))
    assert sum(life.counts.values()) == store.index.count() == 200
    products = an.products_report(store, an.Period.ending(TODAY, "90d"))
    assert products.hot and sum(p.revenue for p in products.products) == products.revenue
    rec = an.receivables_report(store, TODAY)
    assert rec.total == sum(i.amount for i in rec.items) > 0
    assert all(i.date <= TODAY for i in rec.items)
    churn = an.churn_report(store, TODAY)
    assert all(c.days_since >= 180 for c in churn.churned)
