"""The first list after a write shows what a fresh index shows, and a write does not make it
compute every customer's tier again.

The tiering plugin ranks customers among everyone; it says with ``customer_value_figures``
what each customer's tier is made of (their row of the store's ranking), so the values kept in
the index are computed again only for the customers whose records or figure moved. After a
purchase, a payment, an edit, a hand-over, a sync bringing many files and an undo, the lists
by tier and by points, and every value of ``--json`` (a next reminder's key-account visit
follows the tier), are those of a copy of the store whose index is built from nothing. A
plugin of store scope that does not give figures, and one whose figures fail, are still right:
everyone's values are computed again.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from kehu_core import hookimpl
from kehu_core.demo import generate
from kehu_core.services.derived_values import customer_objects, refresh_values, select
from kehu_core.store import Store, open_store

from .conftest import git, kehu
from .test_derived_values import _age

TIER = "主要客户"
LISTS = (
    ("customer", "list", "--tier", TIER, "--limit", "20"),
    ("customer", "list", "--sort", "points", "--limit", "20"),
    ("customer", "list", "--sort", "tier", "--json"),
)


def ok(*args: str, store: Path) -> str:
    result = kehu(*args, store=store)
    assert result.code == 0, result.err
    return result.out


def lists(root: Path) -> list[str]:
    return [ok(*argv, store=root) for argv in LISTS]


def from_a_fresh_index(root: Path, tmp: Path) -> list[str]:
    """The same lists from a copy of the store without its index (built from the files)."""
    copy = tmp / "fresh"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".kehu"))
    return lists(copy)


def same_as_fresh(root: Path, tmp: Path, after: str) -> None:
    assert lists(root) == from_a_fresh_index(root, tmp), after


def shop(tmp_path: Path) -> tuple[Path, Path]:
    """Two clones of a generated shop of 60 customers (a bare remote between them)."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    a = tmp_path / "a"
    generate(a, 60)
    git(a, "init", "-q")
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "the shop")
    git(a, "remote", "add", "origin", str(remote))
    git(a, "push", "-q", "-u", "origin", "HEAD")
    b = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(remote), str(b))
    for clone in (a, b):
        # written a minute ago, as a person's shop is: a file written this very second is read
        # again by the next command, and its customer's values computed again anyway
        _age(clone)
        ok("git-setup", store=clone)
    return a, b


def everyone(root: Path) -> list[dict[str, Any]]:
    return json.loads(ok("customer", "list", "--json", "--sort", "id", store=root))


def test_the_lists_after_each_kind_of_write_are_those_of_a_fresh_index(tmp_path: Path) -> None:
    a, b = shop(tmp_path)
    customers = everyone(a)
    same_as_fresh(a, tmp_path, "at first")
    small = max(customers, key=lambda c: (c.get("tier_rank") or 0, c["id"]))  # of the bottom tier
    bought = ok("purchase", "add", small["id"], "--date", "2026-11-19", "--item", "龙井", "--amount", "90000",
                store=a).strip().splitlines()[-1]
    same_as_fresh(a, tmp_path, "a big sale on credit")
    ok("purchase", "pay", small["id"], bought, store=a)
    same_as_fresh(a, tmp_path, "its payment")
    other = customers[len(customers) // 2]["id"]
    ok("customer", "set", other, f"tier_override={TIER}", store=a)
    same_as_fresh(a, tmp_path, "a tier set by hand")
    ok("handover", "王芳", "李强", store=a)
    same_as_fresh(a, tmp_path, "a hand-over")
    ok("sync", store=a)
    # another clone's day: a rep's customers handed over and sales to many, then merged here
    ok("handover", "陈静", "刘洋", store=b)
    for customer in customers[::3]:
        ok("purchase", "add", customer["id"], "--date", "2026-11-18", "--item", "白茶", "--amount", "3000",
           "--paid", store=b)
    ok("sync", store=b)
    ok("sync", store=a)
    same_as_fresh(a, tmp_path, "a sync bringing many files")
    ok("purchase", "add", customers[-1]["id"], "--date", "2026-11-19", "--item", "龙井", "--amount", "50000",
       "--paid", store=a)
    ok("undo", store=a)
    same_as_fresh(a, tmp_path, "an undone sale")


def test_a_sale_computes_again_the_tiers_it_moved(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    generate(root, 60)
    _age(root)
    lists(root)  # everyone's tier computed and kept
    before = {c["id"]: c.get("tier") for c in everyone(root)}
    buyer = min(before, key=lambda cid: (before[cid] != "小客户", cid))  # from the bottom tier
    ok("purchase", "add", buyer, "--date", "2026-11-19", "--item", "龙井", "--amount", "90000", "--paid",
       store=root)
    computed = refresh_values(open_store(root), only=["tiering"])
    assert 0 < computed < 60  # the buyer and whom the sale pushed down, not all 60
    after = {c["id"]: c.get("tier") for c in everyone(root)}
    assert after[buyer] != before[buyer]  # the buyer climbed: computed again
    assert lists(root) == from_a_fresh_index(root, tmp_path)


class Newest:
    """A third party's rank among everyone (newest customer first), giving no figures: store
    scope, so everyone's is computed again after any change."""

    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        ids = sorted(store.index.ids(), reverse=True)
        return {"newest_rank": ids.index(customer.id) + 1}


class BrokenFigures(Newest):
    """The same values, and figures that fail: its values are computed again for everyone."""

    @hookimpl
    def customer_value_figures(self, store: Any, customer_ids: list[str] | None) -> dict[str, str | None]:
        raise RuntimeError("no figures today")


def test_a_rank_of_a_plugin_without_figures_or_with_failing_ones_follows_every_change(tmp_path: Path) -> None:
    for name, plugin in (("newest", Newest()), ("broken", BrokenFigures())):
        root = tmp_path / name
        generate(root, 20)

        def ranks(root: Path = root, name: str = name, plugin: Any = plugin) -> list[tuple[str, int]]:
            store = Store.open(root, today="2026-11-20", extra_plugins={name: plugin})
            ids = select(store, order="newest_rank")
            return [(o["id"], o["newest_rank"]) for o in customer_objects(store, ids)]

        first = ranks()
        assert [rank for _cid, rank in first] == list(range(1, 21))
        added = ok("customer", "add", "--name", "新客户", store=root).strip().splitlines()[-1]
        expected = sorted([*(cid for cid, _rank in first), added], reverse=True)
        assert ranks() == [(cid, rank) for rank, cid in enumerate(expected, 1)]
