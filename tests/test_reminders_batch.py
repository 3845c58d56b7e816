"""Reminders of many customers in one pass (``customer list --json``) give exactly what the
per-customer computation gives: on the demo store, a generated store, after edits, done and
snooze, and with a third-party rule that declares nothing about the history it reads."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kehu_plugins.reminders.cache import _table as kept_table
from kehu_plugins.reminders.cache import stamp

from kehu_core import hookimpl
from kehu_core import reminder_engine as engine
from kehu_core.cli import customer_list as customer_list_cli
from kehu_core.models import Customer, Reminder
from kehu_core.store import Store, open_store

from .conftest import TODAY, fs_now, kehu
from .pluginutil import add_customer, buy, configure

D = dt.date
HORIZON = dt.timedelta(days=366)


def windows() -> list[tuple[dt.date, dt.date]]:
    """next_reminder's window today, and around the demo's "now" (recent purchases in it)."""
    today = TODAY
    return [(today, today + HORIZON), (TODAY, TODAY + HORIZON),
            (TODAY - dt.timedelta(days=40), TODAY + dt.timedelta(days=10))]


def assert_batch_equals_single(store: Store) -> int:
    customers = [r.customer for r in store.index.list(order="id")]
    assert customers
    compared = 0
    for start, end in windows():
        batch = dict((c.id, found) for c, found in engine.reminders_for(store, customers, start, end))
        assert list(batch) == [c.id for c in customers]
        for c in customers:
            single = engine.reminders_of(store, c.id, start, end, customer=c)
            assert batch[c.id] == single, (c.id, start, end)
            compared += len(single)
    # and every plugin value (tier, points, next_reminder), merged as customer_values merges them
    many = store.plugins.values_many(store, customers)
    assert many == [store.plugins.values(store, c) for c in customers]
    assert all("next_reminder" in v for v in many)
    return compared


def test_batch_equals_per_customer_on_the_demo_store(demo_copy: Path) -> None:
    store = open_store(demo_copy)
    assert assert_batch_equals_single(store) > 1000  # a real comparison, not of empty lists


def batch_of(store: Store, cid: str) -> list[Reminder]:
    """One customer's reminders from the batch over the whole list, next_reminder's window."""
    today = TODAY
    customers = [r.customer for r in store.index.list(order="id")]
    return next(rs for c, rs in engine.reminders_for(store, customers, today, today + HORIZON) if c.id == cid)


def test_batch_equals_per_customer_on_a_generated_store_across_edits(small_store: Path) -> None:
    store = open_store(small_store)
    assert_batch_equals_single(store)
    cid = store.index.list(order="id")[0].customer.id
    today = TODAY

    # a purchase today: its greeting and survey appear, in both computations
    result = kehu("purchase", "add", cid, "--amount", "88", "--date", today.isoformat(), store=small_store)
    assert result.code == 0, result.err
    store = open_store(small_store)
    pid = next(i.id for i in store.interactions(cid) if i.date == today and i.kind == "purchase")
    greeting, survey = f"greeting:{cid}:{pid}", f"survey:{cid}:{pid}"
    assert {greeting, survey} <= {r.key for r in batch_of(store, cid)}
    assert_batch_equals_single(store)

    # done: gone from both; snoozed: moved in both
    engine.mark_done(store, greeting, "微信问候了")
    store = open_store(small_store)
    assert greeting not in {r.key for r in batch_of(store, cid)}
    engine.snooze(store, survey, today + dt.timedelta(days=20))
    store = open_store(small_store)
    assert [r.due for r in batch_of(store, cid) if r.key == survey] == [today + dt.timedelta(days=20)]
    assert_batch_equals_single(store)


def test_customer_list_json_next_reminder_matches_customer_show(small_store: Path) -> None:
    listed = kehu("customer", "list", "--json", store=small_store)
    assert listed.code == 0, listed.err
    objects = listed.json()
    assert len(objects) == 30
    for obj in objects:
        shown = kehu("customer", "show", obj["id"], "--json", store=small_store).json()
        assert obj["next_reminder"] == shown["next_reminder"]
        assert obj.get("tier") == shown.get("tier") and obj.get("points") == shown.get("points")
    assert any(o["next_reminder"] for o in objects)
    # a filtered list answers the same for the customers it keeps
    owner = objects[0]["owner"]
    mine = kehu("customer", "list", "--owner", owner, "--json", store=small_store).json()
    assert mine == [o for o in objects if o["owner"] == owner]


class EveryThirdInteraction:
    """A third-party rule that reads the whole history and declares nothing about it."""

    name = "third"

    def due(self, store: Any, customer: Customer, history: list[Any], start: dt.date,
            end: dt.date) -> Iterator[Reminder]:
        if history and len(history) % 3 == 0:
            first = history[0]
            yield Reminder(customer_id=customer.id, customer_name=customer.name, due=start,
                           rule=self.name, title="每三次", key=f"third:{customer.id}:{first.id}")


class ThirdParty:
    @hookimpl
    def reminder_rules(self, store: Any) -> list[Any]:
        return [EveryThirdInteraction()]


def test_a_rule_without_history_needs_gets_the_whole_history(small_store: Path) -> None:
    store = open_store(small_store, extra_plugins={"third": ThirdParty()})
    customers = [r.customer for r in store.index.list(order="id")]
    today = TODAY
    found = dict((c.id, rs) for c, rs in engine.reminders_for(store, customers, today, today + HORIZON))
    thirds = [r for rs in found.values() for r in rs if r.rule == "third"]
    expected = [c.id for c in customers if len(store.interactions(c.id)) % 3 == 0 and store.interactions(c.id)]
    assert sorted(r.customer_id for r in thirds) == sorted(expected) and expected
    assert_batch_equals_single(store)


class Counted:
    """A plugin with both value hooks, counting how it is asked."""

    def __init__(self, batch_result: str = "ok") -> None:
        self.single = 0
        self.batches: list[int] = []
        self.batch_result = batch_result
        self.tiers_seen: list[Any] = []

    @hookimpl
    def customer_values(self, store: Any, customer: Customer) -> dict[str, Any]:
        self.single += 1
        return {"letters": len(customer.name)}

    @hookimpl
    def customer_values_many(self, store: Any, customers: list[Customer]) -> dict[str, Any] | None:
        self.batches.append(len(customers))
        if self.batch_result == "none":
            return None
        if self.batch_result == "raise":
            raise RuntimeError("batch broke")
        # the other plugins' values (the tier) are ready: computed once, not again here
        self.tiers_seen = [store.plugins.values(store, c, skip=["counted"]).get("tier") for c in customers]
        return {c.id: {"letters": len(c.name)} for c in customers}


def test_values_many_asks_a_batch_once_else_per_customer(small_store: Path) -> None:
    plugin = Counted()
    store = open_store(small_store, extra_plugins={"counted": plugin})
    customers = [r.customer for r in store.index.list(order="id")]
    many = store.plugins.values_many(store, customers)
    assert plugin.batches == [30] and plugin.single == 0
    assert [v["letters"] for v in many] == [len(c.name) for c in customers]
    assert plugin.tiers_seen == [v.get("tier") for v in many]
    assert any(plugin.tiers_seen)
    assert many == [store.plugins.values(store, c) for c in customers]

    for broken in ("none", "raise"):
        plugin = Counted(broken)
        store = open_store(small_store, extra_plugins={"counted": plugin})
        many = store.plugins.values_many(store, customers)
        assert plugin.batches == [30] and plugin.single == 30  # asked customer by customer instead
        assert [v["letters"] for v in many] == [len(c.name) for c in customers]
        assert [v["next_reminder"] for v in many] == [
            store.plugins.values(store, c)["next_reminder"] for c in customers]
    assert any(f.hook == "customer_values_many" for f in store.plugins.failures)


def listed_next(store_path: Path) -> dict[str, Any]:
    result = kehu("customer", "list", "--json", store=store_path)
    assert result.code == 0, result.err
    return {o["id"]: o["next_reminder"] for o in result.json()}


def computed_next(store_path: Path) -> dict[str, Any]:
    """Each customer's next_reminder worked out on its own (customer_values, nothing kept)."""
    store = open_store(store_path)
    return {r.customer.id: store.plugins.values(store, r.customer)["next_reminder"]
            for r in store.index.list(order="name")}


def kept_rows_or_none(store_path: Path) -> dict[str, str] | None:
    """The next reminders kept in the index (their JSON), None if nothing was ever kept."""
    table = kept_table(Store.open(store_path))  # the index as it is, not refreshed
    kept = table.stamp()
    rows = table.all(kept) if kept is not None else None
    return {cid: value for cid, (_due, value) in rows.items()} if rows is not None else None


def kept_rows(store_path: Path) -> dict[str, str]:
    rows = kept_rows_or_none(store_path)
    assert rows is not None, "nothing kept"
    return rows


def settle(store_path: Path) -> None:
    """Make every file a minute old: the index re-reads files written in the last 2 seconds
    (their mtime could still change unseen), which moves the generation each time."""
    past = fs_now(store_path) - 60
    for path in [store_path / "kehu.yaml", *(store_path / "customers").rglob("*")]:
        os.utime(path, (past, past))
    open_store(store_path).index.generation()  # one refresh reads them as they are now


def test_a_list_keeps_next_reminders_until_a_record_or_a_setting_changes(small_store: Path) -> None:
    configure(small_store, reminders={"holidays": {"enabled": False}})
    cid = add_customer(small_store, "新客户")  # no history, no birthday: a monthly touch only
    settle(small_store)
    first = listed_next(small_store)
    assert first == computed_next(small_store) and first[cid]["rule"] == "touch"
    assert len(kept_rows(small_store)) == 31

    # the next list reads what the index keeps: a value changed by hand shows (and proves it)
    from kehu_core.services.derived_values import _look

    store = open_store(small_store)
    look = _look(store, "reminders", [cid])
    assert look.scope != "store"  # the reminders plugin's values are kept per customer
    version = store.index.versions([cid])[cid]
    kept = {"next_reminder": {"due": "2000-01-01"}}
    store.index.put_derived("reminders", {cid: (look.row_stamp(cid, version, ""), kept)})
    assert listed_next(small_store)[cid] == {"due": "2000-01-01"}

    # a purchase changes the records: everything is worked out again, the greeting is next
    today = TODAY
    pid = buy(small_store, cid, 88, today.isoformat())
    after = listed_next(small_store)
    assert after[cid]["key"] == f"greeting:{cid}:{pid}"
    assert after[cid]["due"] == str(today + dt.timedelta(days=2))
    assert after == computed_next(small_store)

    # a setting is part of what was kept: switching greetings off shows the survey next
    configure(small_store, reminders={"holidays": {"enabled": False}, "greeting": {"days": 2, "enabled": False}})
    after = listed_next(small_store)
    assert after[cid]["key"] == f"survey:{cid}:{pid}"
    assert after == computed_next(small_store)

    # done is a ledger line: it changes the records too
    done = kehu("reminders", "done", f"survey:{cid}:{pid}", store=small_store)
    assert done.code == 0, done.err
    after = listed_next(small_store)
    assert after[cid]["rule"] == "touch"
    assert after == computed_next(small_store)


def test_nothing_is_kept_with_a_rule_from_another_plugin(small_store: Path) -> None:
    store = open_store(small_store, extra_plugins={"third": ThirdParty()})
    customers = [r.customer for r in store.index.list(order="id")]
    assert stamp(store, TODAY) is None
    store.plugins.values_many(store, customers)
    assert kept_rows_or_none(small_store) is None
    assert stamp(open_store(small_store), TODAY) is not None


def test_customer_list_json_is_written_in_chunks_exactly_as_one_dump(
    small_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(customer_list_cli, "_CHUNK", 7)  # 30 customers: chunks of 7, 7, 7, 7, 2
    whole = kehu("customer", "list", "--json", store=small_store)
    objects = whole.json()
    assert len(objects) == 30
    assert whole.out == json.dumps(objects, ensure_ascii=False, indent=2) + "\n"  # emit_json's bytes
    assert [o["next_reminder"] for o in objects] == [
        computed_next(small_store)[o["id"]] for o in objects]
    assert kehu("customer", "list", "--tag", "no-such-tag", "--json", store=small_store).out == "[]\n"
    tier = next(o["tier"] for o in objects if o.get("tier"))
    some = kehu("customer", "list", "--tier", tier, "--limit", "2", "--json", store=small_store)
    assert some.out == json.dumps([o for o in objects if o.get("tier") == tier][:2], ensure_ascii=False,
                                  indent=2) + "\n"


def test_a_next_reminder_past_the_first_month_is_the_one_a_single_customer_gets(small_store: Path) -> None:
    """A list looks for the next reminders over the first month, then over the year for
    those with none in it: a birthday months away, a greeting snoozed past the month (its
    survey done), nothing at all, each as ``customer show`` computes it alone."""
    configure(small_store, reminders={name: {"enabled": False} for name in ("touch", "holidays", "dormant")})
    today = TODAY
    birthday = today + dt.timedelta(days=100)
    far = add_customer(small_store, "生日远", "--birthday", f"--{birthday:%m-%d}")
    snoozed = add_customer(small_store, "推迟了")
    nothing = add_customer(small_store, "无提醒")
    pid = buy(small_store, snoozed, 8, today.isoformat(), "--paid")
    later = today + dt.timedelta(days=40)
    assert kehu("reminders", "snooze", f"greeting:{snoozed}:{pid}", "--until", later.isoformat(),
                store=small_store).code == 0
    assert kehu("reminders", "done", f"survey:{snoozed}:{pid}", store=small_store).code == 0

    listed = listed_next(small_store)
    assert listed == computed_next(small_store)
    assert listed[far]["rule"] == "birthday" and listed[far]["due"] == birthday.isoformat()
    assert listed[snoozed]["key"] == f"greeting:{snoozed}:{pid}" and listed[snoozed]["due"] == later.isoformat()
    assert listed[nothing] is None
