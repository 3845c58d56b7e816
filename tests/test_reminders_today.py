"""A Today list a person can finish (issue 14 item 6): missed reminders lapse per rule
(kehu.yaml ``plugins: reminders: lapse_days``), reminders come in groups, most important
first, and the day's list holds what one person finishes in a day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kehu_core import hookimpl, reminder_groups
from kehu_core import reminder_engine as engine
from kehu_core.models import Customer, Reminder
from kehu_core.store import open_store

from .conftest import TODAY, kehu
from .pluginutil import add_customer, buy, configure
from .test_tui import SIZE, make_app, wait_for

GROUP_ORDER = [g.key for g in engine.GROUPS]


def due(store: Path, start: str, *args: str) -> list[dict[str, Any]]:
    result = kehu("reminders", "--from", start, "--days", "1", "--json", *args, store=store)
    assert result.code == 0, result.err
    return result.json()


def rules_of(found: list[dict[str, Any]]) -> list[str]:
    return [r["rule"] for r in found]


def test_a_missed_greeting_lapses_and_an_overdue_payment_stays(store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏")
    buy(store_path, cid, 1288, "2026-03-01", "--paid")  # greeting due 03-03, lapses after 7 days
    unpaid = buy(store_path, cid, 500, "2026-03-01", "--due", "2026-03-05")
    assert "greeting" in rules_of(due(store_path, "2026-03-10"))
    later = due(store_path, "2026-03-11")
    assert "greeting" not in rules_of(later)
    a_year = due(store_path, "2027-03-11")
    assert [(r["rule"], r["key"], r["due"]) for r in a_year if r["rule"] == "overdue"] == [
        ("overdue", f"overdue:{cid}:{unpaid}", "2026-03-06")
    ]
    assert "greeting" not in rules_of(a_year)


def test_lapse_days_in_kehu_yaml_change_it(store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏")
    buy(store_path, cid, 1288, "2026-03-01", "--paid")
    buy(store_path, cid, 500, "2026-03-01", "--due", "2026-03-05")
    configure(store_path, reminders={"lapse_days": {"greeting": 40, "overdue": 10}})
    rules = rules_of(due(store_path, "2026-04-01"))
    assert "greeting" in rules  # 29 days late, still within 40
    assert "overdue" not in rules  # 26 days overdue: lapsed after 10
    configure(store_path, reminders={"lapse_days": {"greeting": 0}})
    assert "greeting" not in rules_of(due(store_path, "2026-03-04"))  # only on its day


def test_a_bad_lapse_setting_names_the_line_of_kehu_yaml(store_path: Path) -> None:
    configure(store_path, reminders={"lapse_days": {"greeting": -3}})
    text = (store_path / "kehu.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, s in enumerate(text, 1) if "greeting" in s)
    result = kehu("reminders", store=store_path)
    assert result.code == 1
    assert f"kehu.yaml:{line}:" in result.err and "lapse_days.greeting" in result.err
    assert "Traceback" not in result.err
    configure(store_path, reminders={"lapse_days": {"greeting": "soon"}})
    assert kehu("reminders", store=store_path).code == 1


class FixedDay:
    """A third-party rule: one reminder on 2026-01-01, every time it is asked (a condition)."""

    name = "fixed"

    def due(self, store: Any, customer: Customer, history: list[Any], start: dt.date,
            end: dt.date) -> Iterator[Reminder]:
        yield Reminder(customer_id=customer.id, customer_name=customer.name, due=dt.date(2026, 1, 1),
                       rule=self.name, title="固定", key=f"fixed:{customer.id}:2026-01-01")


class Fixed:
    @hookimpl
    def reminder_rules(self, store: Any) -> list[Any]:
        return [FixedDay()]


def test_other_plugins_rules_lapse_too(store_path: Path) -> None:
    add_customer(store_path, "赵敏")
    days = engine.DEFAULT_LAPSE_DAYS

    def fixed(day: dt.date) -> list[Reminder]:
        store = open_store(store_path, extra_plugins={"fixed": Fixed()})
        return [r for r in engine.due_reminders(store, day, day) if r.rule == "fixed"]

    last = dt.date(2026, 1, 1) + dt.timedelta(days=days)
    assert [r.group for r in fixed(last)] == ["other"]
    assert fixed(last + dt.timedelta(days=1)) == []
    configure(store_path, reminders={"lapse_days": {"fixed": None}})  # never lapses
    assert len(fixed(dt.date(2026, 11, 20))) == 1


def test_reminders_json_comes_in_groups_most_important_first(store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏", "--birthday", "1990-03-04")
    buy(store_path, cid, 1288, "2026-03-02", "--paid")  # greeting 03-04
    buy(store_path, cid, 500, "2026-01-01", "--due", "2026-02-01")  # overdue since 02-02
    assert kehu("interaction", "add", cid, "--kind", "complaint", "--date", "2026-03-03",
                "--text", "茶叶受潮", store=store_path).code == 0
    found = due(store_path, "2026-03-04")
    groups = [r["group"] for r in found]
    assert list(dict.fromkeys(groups)) == ["complaints", "payments", "occasions", "follow_ups"]
    assert groups == sorted(groups, key=GROUP_ORDER.index)
    text = kehu("reminders", "--from", "2026-03-04", "--days", "1", store=store_path).out
    headers = [line for line in text.splitlines() if line.startswith("== ")]
    assert [h.split(":")[0] for h in headers[:4]] == [
        "== complaints due", "== payments overdue",
        "== birthdays and holidays", "== greetings and surveys"]


def test_the_demo_day_list_is_one_a_person_can_finish(demo_copy: Path) -> None:
    config = yaml.safe_load((demo_copy / "kehu.yaml").read_text(encoding="utf-8"))
    assert config["today"] == TODAY  # the demo opens at its own day
    everything = kehu("reminders", "--json", store=demo_copy).json()
    groups = [r["group"] for r in everything]
    assert groups == sorted(groups, key=GROUP_ORDER.index)
    assert all(r["due"] >= "2025-11-20" for r in everything)  # nothing from a year ago (lapsed)
    result = kehu("reminders", "--day-list", "--json", store=demo_copy)
    day = result.json()
    assert 0 < len(day) <= reminder_groups.DAY_CAPACITY == 60
    assert all(r["due"] <= TODAY.isoformat() for r in day)
    for group in engine.GROUPS:
        assert sum(r["group"] == group.key for r in day) <= group.per_day
    # complaints are never cut: the demo's all fit in a day
    assert sum(r["group"] == "complaints" for r in day) == sum(r["group"] == "complaints" for r in everything)


def on_screen(table: Any) -> list[Reminder]:
    """The table's reminders from the top row down."""
    keys = [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)]
    return [table.reminders[key] for key in keys]


@pytest.mark.asyncio
async def test_today_shows_the_day_list_by_group(demo_copy: Path) -> None:
    from kehu_tui.screens.today import TodayScreen
    from kehu_tui.widgets.reminders.table import ReminderTable

    store = open_store(demo_copy)
    expected = engine.day_list(engine.due_reminders(store, TODAY, TODAY), TODAY)
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TodayScreen), "today")
        table = app.screen.query_one(ReminderTable)
        await wait_for(pilot, lambda: table.row_count > 0 and not table.loading, "the reminders")
        shown = on_screen(table)
        assert [r.key for r in shown] == [r.key for r in expected.reminders]
        assert len(shown) <= reminder_groups.DAY_CAPACITY
        groups = [r.group for r in shown]
        assert groups == sorted(groups, key=GROUP_ORDER.index) and groups[0] == "complaints"
        assert str(table.get_cell_at((0, 0))).endswith("complaints")  # the Group column
        status = str(app.screen.query_one("#today-status").render())
        assert f"{len(shown)} reminders today's list" in status
        assert "payments overdue" in status and f"{expected.waiting} more" in status
        await pilot.press("w")  # the whole week: every group in full
        await wait_for(pilot, lambda: table.row_count > len(shown), "the week")
        week = on_screen(table)
        assert [r.group for r in week] == sorted((r.group for r in week), key=GROUP_ORDER.index)
