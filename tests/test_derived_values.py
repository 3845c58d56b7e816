"""Values plugins compute (tier, points, next reminder ...) are kept in the index and always
equal what the plugins compute from the files (issue 15, derived values).

Random days of work — new customers (some referred), purchases on credit and paid, payments,
voids, field edits, redemptions, merges — run through the real commands; after each day the
values ``kehu customer list --json`` and ``customer show --json`` read from the index equal those a fresh store, with no
index at all, computes from the files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kehu_core.cli.render import customer_json
from kehu_core.demo import generate
from kehu_core.names import shown as shown_name
from kehu_core.services.derived_values import refresh_values, stale_of
from kehu_core.store import open_store
from kehu_core.testing import make_store
from tests.conftest import kehu

NAMES = ["赵敏", "钱多多", "孙悟空", "李白", "周杰", "吴用", "郑和", "王芳"]
DATES = ["2026-09-01", "2026-10-10", "2026-11-01", "2026-11-15", "2026-11-19"]

op = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 7), st.booleans()),
    st.tuples(st.just("buy"), st.integers(0, 20), st.integers(1, 5000), st.booleans(), st.sampled_from(DATES)),
    st.tuples(st.just("pay"), st.integers(0, 20)),
    st.tuples(st.just("void"), st.integers(0, 20)),
    st.tuples(st.just("level"), st.integers(0, 20), st.sampled_from(["金卡", "银卡", "普通会员"])),
    st.tuples(st.just("redeem"), st.integers(0, 20), st.integers(1, 50)),
    st.tuples(st.just("merge"), st.integers(0, 20), st.integers(0, 20)),
)


def ids_of(root: Path) -> list[str]:
    return [c["id"] for c in json.loads(kehu("customer", "list", "--json", "--sort", "id", store=root).out)]


def apply(root: Path, step: tuple, purchases: list[tuple[str, str]]) -> None:
    ids = ids_of(root)
    kind = step[0]
    if kind == "add":
        referrer = ["--referrer", ids[0]] if step[2] and ids else []
        kehu("customer", "add", "--name", NAMES[step[1]], "--allow-duplicate", *referrer, store=root)
        return
    if not ids:
        return
    cid = ids[step[1] % len(ids)]
    if kind == "buy":
        result = kehu("purchase", "add", cid, "--date", step[4], "--item", "茶叶", "--amount", str(step[2]),
                      *(["--paid"] if step[3] else []), store=root)
        if result.code == 0:
            purchases.append((cid, result.out.strip().splitlines()[-1]))
    elif kind in ("pay", "void") and purchases:
        owner, purchase = purchases[step[1] % len(purchases)]
        kehu("purchase", kind, owner, purchase, store=root)
    elif kind == "level":
        kehu("customer", "set", cid, f"level={step[2]}", store=root)
    elif kind == "redeem":
        kehu("points", "redeem", cid, str(step[2]), "--reason", "礼品", store=root)
    elif kind == "merge" and len(ids) > 1:
        other = ids[step[2] % len(ids)]
        if other != cid:
            kehu("customer", "merge", cid, other, store=root)
            purchases[:] = [(cid if o == other else o, p) for o, p in purchases]


def from_the_files(root: Path, tmp: Path) -> dict[str, dict]:
    """Every customer's plugin values computed afresh: a copy of the store without its index."""
    copy = tmp / "fresh"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".kehu"))
    store = open_store(copy)
    return {row.customer.id: json.loads(json.dumps(customer_json(store, row.customer), default=str))
            for row in store.index.each()}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.lists(st.lists(op, min_size=1, max_size=6), min_size=1, max_size=3))
def test_indexed_values_equal_values_computed_from_the_files(tmp_path_factory, days) -> None:
    tmp = tmp_path_factory.mktemp("derived")
    root = tmp / "store"
    make_store(root)
    purchases: list[tuple[str, str]] = []
    for day in days:
        for step in day:
            apply(root, step, purchases)
        expected = from_the_files(root, tmp)
        # sorted by a value: every customer's values made fresh at once, then only those
        # changed since (the index's fresh marks); and a plain list, the listed customers'
        for order in ("points", "name"):
            listed = json.loads(kehu("customer", "list", "--json", "--sort", order, store=root).out)
            # attitude is kehu's own figure, worked out from the index's purchases on every list
            indexed = {c["id"]: {k: v for k, v in c.items() if not k.startswith("attitude")} for c in listed}
            assert indexed == expected, order
        # customer show reads one customer's kept values, not the list's: the same answers
        for cid in list(expected)[:3]:
            shown = json.loads(kehu("customer", "show", cid, "--json", store=root).out)
            assert {k: shown[k] for k in expected[cid]} == expected[cid], cid
        by_points = json.loads(kehu("customer", "list", "--json", "--sort", "points", store=root).out)
        points = [c.get("points") or 0 for c in by_points]
        assert points == sorted(points, reverse=True)


def test_a_purchase_recomputes_only_its_buyers_values(tmp_path: Path) -> None:
    root = tmp_path / "store"
    make_store(root, customers=[{"name": "赵敏"}, {"name": "钱多多"}])
    for path in (root / "customers").rglob("*"):  # written a while ago: not re-read as "racy"
        os.utime(path, (path.stat().st_mtime - 60, path.stat().st_mtime - 60))
    first, _second = ids_of(root)
    kehu("customer", "list", "--json", store=root)  # every value computed and kept
    assert kehu("purchase", "add", first, "--date", "2026-11-19", "--item", "茶叶", "--amount", "800",
                "--paid", store=root).code == 0
    store = open_store(root)
    stale = {plugin: sorted(stale_of(store, plugin)) for plugin in store.plugins.value_plugins()}
    assert stale["points"] == [first] and stale["reminders"] == [first]  # customer scope: the buyer only
    assert refresh_values(store) > 0
    points = json.loads(kehu("customer", "list", "--json", "--sort", "points", store=root).out)
    assert [c["id"] for c in points][0] == first and points[0]["points"] > 0


def test_an_unknown_tier_is_an_error_naming_the_tiers(tmp_path: Path) -> None:
    root = tmp_path / "store"
    make_store(root, customers=[{"name": "赵敏"}])
    result = kehu("customer", "list", "--tier", "A", store=root)
    assert result.code == 1
    assert "Key customers" in result.err and "'A'" in result.err  # 重要客户 as an English run shows it


def test_the_next_reminder_kept_for_lists_has_the_key_account_visits(demo_copy: Path, tmp_path: Path) -> None:
    """The reminders' values are computed one plugin at a time for the index; the key-visit
    rule asks the tiering plugin for the tier meanwhile, and must get it: a key account's
    next reminder (visit (Major customers)) is the same in the list as computed from the files."""
    listed = json.loads(kehu("customer", "list", "--json", "--sort", "id", store=demo_copy).out)
    indexed = {c["id"]: c.get("next_reminder") for c in listed}
    expected = {cid: values.get("next_reminder") for cid, values in from_the_files(demo_copy, tmp_path).items()}
    assert any((value or {}).get("rule") == "visit" for value in expected.values())
    assert indexed == expected


def _run(root: Path, *args: str, today: str = "2026-11-20") -> tuple[str, set[str]]:
    """``kehu ARGS`` as its own process: what it printed, and the modules it imported."""
    env = {**os.environ, "KEHU_STORE": str(root), "KEHU_TODAY": today}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "kehu_core", *args],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return done.stdout, modules


def _age(root: Path) -> None:
    """Files written a minute ago, as a person's next command finds them (not "racy")."""
    for path in (root / "customers").rglob("*"):
        os.utime(path, (path.stat().st_mtime - 60, path.stat().st_mtime - 60))


def test_a_tier_list_answered_from_the_kept_values_is_the_one_the_plugins_give(tmp_path: Path) -> None:
    """``customer list`` reads the index alone when it is up to date, and ``--tier`` when the
    kept values are known fresh too (no store opened, no plugin loaded), and prints what the
    store's list prints; anything that could change a value (a purchase, another day) sends it
    back to the plugins."""
    root = tmp_path / "store"
    generate(root, 60)
    _age(root)
    everyone, modules = _run(root, "customer", "list")  # the index built: by the store
    assert "kehu_core.store" in modules
    again, modules = _run(root, "customer", "list")
    assert "kehu_core.store" not in modules and again == everyone and len(everyone.splitlines()) == 60
    listed, _ = _run(root, "customer", "list", "--json")
    tiers = Counter(c["tier"] for c in json.loads(listed) if c.get("tier"))
    tier = tiers.most_common(1)[0][0]
    by_plugins, modules = _run(root, "customer", "list", "--tier", tier, "--limit", "10")
    assert "kehu_core.plugins" in modules  # every customer's values made fresh, and kept
    kept, modules = _run(root, "customer", "list", "--tier", tier, "--limit", "10")
    assert "kehu_core.store" not in modules and "kehu_core.plugins" not in modules
    assert kept == by_plugins
    rows = kept.splitlines()
    assert len(rows) == min(10, tiers[tier]) and all(row.endswith("\t" + shown_name(tier)) for row in rows)
    _, modules = _run(root, "customer", "list", "--tier", tier, "--limit", "10", today="2026-11-21")
    assert "kehu_core.plugins" in modules  # another day: the plugins were asked
    buyer = rows[-1].split("\t")[0]
    _run(root, "purchase", "add", buyer, "--item", "茶叶", "--amount", "50", "--paid")
    _age(root)  # (a file written this very moment is read again by the next command, on purpose)
    after, modules = _run(root, "customer", "list", "--tier", tier, "--limit", "10")
    assert "kehu_core.plugins" in modules  # a purchase moved the store: the tiers ranked again
    again, modules = _run(root, "customer", "list", "--tier", tier, "--limit", "10")
    assert "kehu_core.store" not in modules and again == after
    # a tier nobody has: the store's answer, naming the tiers
    unknown = subprocess.run([sys.executable, "-m", "kehu_core", "customer", "list", "--tier", "无此等级"],
                             capture_output=True, text=True, env={**os.environ, "KEHU_STORE": str(root)})
    assert unknown.returncode == 1 and "no tier '无此等级'; the tiers are:" in unknown.stderr
    assert shown_name(tier) in unknown.stderr


def test_a_new_days_tier_list_computes_everyones_tier_and_only_the_pages_other_values(tmp_path: Path) -> None:
    """The first `customer list --tier X` of a day ranks everyone (the tiering plugin) but asks
    the other plugins (points, next reminder) only about the customers it shows: at 100 000
    customers that was a minute of every reminder rule before the first list of each morning."""
    root = tmp_path / "store"
    generate(root, 60)
    _age(root)
    listed, _ = _run(root, "customer", "list", "--json")
    tier = Counter(c["tier"] for c in json.loads(listed) if c.get("tier")).most_common(1)[0][0]
    _run(root, "customer", "list", "--tier", tier, "--limit", "5")  # everything fresh on the 20th
    page, _ = _run(root, "customer", "list", "--tier", tier, "--limit", "5", today="2026-11-21")
    shown = [line.split("\t")[0] for line in page.splitlines()]
    assert len(shown) == 5
    store = open_store(root, today="2026-11-21")
    stale = {plugin: stale_of(store, plugin) for plugin in store.plugins.value_plugins()}
    assert stale["tiering"] == set()  # everyone ranked on the 21st
    assert len(stale["reminders"]) == 55 and not stale["reminders"] & set(shown)  # the page's only
    # and what the page shows is what the plugins compute from the files that day
    shown_json = {c["id"]: c for c in json.loads(_run(root, "customer", "list", "--tier", tier, "--limit", "5",
                                                        "--json", today="2026-11-21")[0])}
    fresh = open_store(root, today="2026-11-21")
    for cid in shown:
        assert shown_json[cid]["next_reminder"] == customer_json(fresh, fresh.get(cid))["next_reminder"]


def test_a_list_sorted_by_tier_is_in_the_tiers_order_top_first(tmp_path: Path) -> None:
    """`--sort tier` (and the TUI's Tier column, through the same select) puts the top tier
    first, as kehu.yaml orders the tiers, not by the names' text (主要 < 小 < 普通 < 重要);
    the rank that orders it stays out of what a person reads."""
    from kehu_core.services.scoring import tier_names

    root = tmp_path / "store"
    generate(root, 60)
    _age(root)
    store = open_store(root, today="2026-11-20")
    order = [shown_name(name) for name in tier_names(store)]
    by_plugins, modules = _run(root, "customer", "list", "--sort", "tier")
    assert "kehu_core.plugins" in modules
    kept, modules = _run(root, "customer", "list", "--sort", "tier")
    assert "kehu_core.plugins" not in modules and kept == by_plugins  # the index alone, the same
    tiers = [line.rsplit("\t", 1)[1] for line in kept.splitlines()]
    assert len(tiers) == 60 and len(set(tiers)) >= 3
    assert tiers == sorted(tiers, key=order.index)
    assert order.index(tiers[0]) == 0
    assert sorted(tier_names(store)) != tier_names(store)  # the names' text has another order
    first = kept.splitlines()[0].split("\t")[0]
    shown_text, _ = _run(root, "customer", "show", first)
    assert "tier_rank" not in shown_text and shown_name(tier_names(store)[0]) in shown_text


def test_a_list_read_from_the_index_shows_phones_as_the_region_reads_them(tmp_path: Path) -> None:
    """The index keeps each customer's first phone as shown in the store's region; when
    kehu.yaml's region changes, the list shows the numbers the new region's way at once."""
    root = tmp_path / "store"
    assert kehu("init", str(root)).code == 0
    for name, phone in (("赵敏", "13912345678"), ("Ava", "+44 7911 123456"), ("王芳", "0571 8888 6666")):
        assert kehu("customer", "add", "--name", name, "--phone", phone, store=root).code == 0
    _age(root)
    _run(root, "customer", "list")
    listed, modules = _run(root, "customer", "list")
    assert "kehu_core.store" not in modules and "phonenumbers" not in modules
    phones = {line.split("\t")[1]: line.split("\t")[2] for line in listed.splitlines()}
    assert phones == {"赵敏": "139 1234 5678", "Ava": "+44 7911 123456", "王芳": "0571 8888 6666"}
    config = root / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("region: CN", "region: GB"), encoding="utf-8")
    for _attempt in range(2):  # the store's answer after the change, then the index's
        listed, _ = _run(root, "customer", "list")
        phones = {line.split("\t")[1]: line.split("\t")[2] for line in listed.splitlines()}
        assert phones == {"赵敏": "+86 139 1234 5678", "Ava": "07911 123456", "王芳": "+86 571 8888 6666"}
