"""The reminder engine and the reminders plugin on real stores (dates fixed with --from)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from icalendar import Calendar
from kehu_plugins.reminders.rules import offset

from kehu_core import reminder_engine as engine
from kehu_core.errors import KehuError
from kehu_core.models import Customer
from kehu_core.store import open_store

from .conftest import TODAY, kehu
from .pluginutil import add_customer, buy, configure

D = dt.date


def due(store: Path, start: str, days: int = 1, *rules: str) -> list[dict]:
    args = ["reminders", "--from", start, "--days", str(days), "--json"]
    for rule in rules:
        args += ["--rule", rule]
    result = kehu(*args, store=store)
    assert result.code == 0, result.err
    return result.json()


def test_greeting_two_days_and_survey_seven_days_after_a_purchase(store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏")
    pid = buy(store_path, cid, 1288, "2026-03-01", "--paid")
    greet = due(store_path, "2026-03-03", 1, "greeting")
    assert [(r["key"], r["due"], r["customer_name"]) for r in greet] == [
        (f"greeting:{cid}:{pid}", "2026-03-03", "赵敏")
    ]
    assert due(store_path, "2026-03-02", 1, "greeting") == []
    survey = due(store_path, "2026-03-08", 1, "survey")
    assert [r["due"] for r in survey] == ["2026-03-08"]
    # missed by more than catch_up_days (7): gone
    assert due(store_path, "2026-03-20", 1, "greeting") == []


def test_monthly_touch_counts_from_the_last_interaction_of_any_kind(store_path: Path) -> None:
    cid = "zhaomin"
    open_store(store_path).add_customer(Customer(id=cid, name="赵敏", created=D(2026, 4, 1)))
    assert kehu("interaction", "add", cid, "--kind", "call", "--date", "2026-05-01",
                "--text", "问好", store=store_path).code == 0
    found = due(store_path, "2026-05-01", 31, "touch")
    expected = D(2026, 5, 31) - dt.timedelta(days=offset(cid, "touch", 7))
    assert [r["due"] for r in found] == [str(expected)]
    assert kehu("interaction", "add", cid, "--kind", "message", "--date", "2026-05-20",
                "--text", "新茶", store=store_path).code == 0
    again = due(store_path, "2026-05-01", 60, "touch")
    assert [r["key"] for r in again] == [f"touch:{cid}:2026-05-20"]


def test_customers_added_on_one_day_do_not_all_fall_due_on_one_day(store_path: Path) -> None:
    store = open_store(store_path)
    for i in range(70):
        store.add_customer(Customer(id=f"c{i:03d}", name=f"客户{i}", created=D(2026, 4, 1)))
    found = due(store_path, "2026-04-01", 31, "touch")
    per_day = Counter(r["due"] for r in found)
    assert len(found) == 70
    assert len(per_day) == 7  # spread over spread_days
    assert max(per_day.values()) <= 20
    assert all("2026-04-25" <= day <= "2026-05-01" for day in per_day)  # never later than 30 days


def test_solar_lunar_and_leap_day_birthdays(store_path: Path) -> None:
    a = add_customer(store_path, "赵敏", "--birthday", "1990-04-12")
    b = add_customer(store_path, "钱多多", "--birthday", "--02-29")
    c = add_customer(store_path, "孙悟空", "--lunar-birthday", "08-15")
    april = due(store_path, "2026-04-12", 1, "birthday")
    assert [(r["customer_id"], r["detail"]) for r in april] == [(a, "birthday April 12, 36 years old")]
    assert [r["customer_id"] for r in due(store_path, "2027-02-28", 1, "birthday")] == [b]
    lunar = due(store_path, "2026-09-25", 1, "lunar-birthday")  # 农历八月十五 2026 = 9月25日
    assert [(r["customer_id"], r["title"]) for r in lunar] == [(c, "lunar birthday greeting")]
    assert lunar[0]["detail"] == "lunar 08-15 (2026-09-25)"


def test_chinese_holidays_including_lunar_ones_spread_before_the_day(store_path: Path) -> None:
    ids = [add_customer(store_path, f"客户{i}") for i in range(12)]
    found = due(store_path, "2027-02-01", 6, "holiday")  # 春节 2027-02-06
    assert {r["title"] for r in found} == {"Spring Festival greeting"}  # 春节, in English
    assert len(found) == 12
    assert {r["due"] for r in found} <= {"2027-02-03", "2027-02-04", "2027-02-05"}
    assert len({r["due"] for r in found}) > 1
    mid_autumn = due(store_path, "2026-09-20", 6, "holiday")
    assert {r["title"] for r in mid_autumn} == {"Mid-Autumn Festival greeting"}
    assert {r["key"].split(":")[-1] for r in mid_autumn} == {"中秋节-2026"}  # the key keeps the name as kept
    assert sorted(r["customer_id"] for r in mid_autumn) == sorted(ids)


def test_key_accounts_are_visited_every_n_days_by_tier(store_path: Path) -> None:
    configure(store_path, reminders={"key_visits": {"every_days": {"重要客户": 10}}})
    vip = add_customer(store_path, "大客户")
    add_customer(store_path, "小客户")
    assert kehu("tier", "set", vip, "重要客户", store=store_path).code == 0
    assert kehu("interaction", "add", vip, "--kind", "visit", "--date", "2026-06-01",
                "--text", "拜访", store=store_path).code == 0
    # 11 days, 06-01 to 06-11: the visit is due 0-6 days (a hash of the id) before 06-11
    found = due(store_path, "2026-06-01", 11, "visit")
    expected = D(2026, 6, 11) - dt.timedelta(days=offset(vip, "visit", 7))
    assert [(r["customer_id"], r["due"]) for r in found] == [(vip, str(expected))]


def test_overdue_payments_and_dormant_customers(store_path: Path) -> None:
    cid = add_customer(store_path, "企业客户")
    unpaid = buy(store_path, cid, 5000, "2026-01-10", "--due", "2026-02-10")
    buy(store_path, cid, 100, "2026-01-11", "--paid", "--due", "2026-02-10")
    overdue = due(store_path, "2026-02-11", 1, "overdue")
    assert [r["key"] for r in overdue] == [f"overdue:{cid}:{unpaid}"]
    assert due(store_path, "2026-02-10", 1, "overdue") == []
    # still due (an ongoing condition) weeks later, with its first due date
    assert [r["due"] for r in due(store_path, "2026-03-15", 1, "overdue")] == ["2026-02-11"]
    dormant_day = D(2026, 1, 11) + dt.timedelta(days=90 + offset(cid, "dormant", 7))
    assert [r["due"] for r in due(store_path, "2026-04-01", 30, "dormant")] == [str(dormant_day)]


def test_do_not_contact_gets_no_outreach_but_overdue_bills(store_path: Path) -> None:
    cid = add_customer(store_path, "勿扰")
    assert kehu("customer", "set", cid, "do_not_contact=true", store=store_path).code == 0
    buy(store_path, cid, 100, "2026-03-01", "--due", "2026-03-05")
    rules = {r["rule"] for r in due(store_path, "2026-03-01", 60)}
    assert rules == {"overdue"}


def test_rules_can_be_switched_off(store_path: Path) -> None:
    configure(store_path, reminders={"greeting": {"enabled": False, "days": 2}})
    cid = add_customer(store_path, "赵敏")
    buy(store_path, cid, 10, "2026-03-01", "--paid")
    assert due(store_path, "2026-03-03", 1, "greeting") == []
    assert due(store_path, "2026-03-08", 1, "survey") != []


def test_done_records_an_interaction_and_stops_showing(store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏")
    today = TODAY
    buy(store_path, cid, 10, str(today - dt.timedelta(days=2)), "--paid")
    key = due(store_path, str(today), 1, "greeting")[0]["key"]
    result = kehu("reminders", "done", key, "--note", "微信问候了", store=store_path)
    assert result.code == 0, result.err
    assert due(store_path, str(today), 1, "greeting") == []
    store = open_store(store_path)
    notes = [i for i in store.interactions(cid) if i.kind == "note"]
    assert len(notes) == 1 and "微信问候了" in notes[0].text and notes[0].reminder == key
    assert store.ledger(cid, "reminders")[-1]["action"] == "done"
    again = kehu("reminders", "done", key, store=store_path)
    assert again.code == 1 and "already done" in again.err
    bad = kehu("reminders", "done", "greeting:" + cid + ":nope", store=store_path)
    assert bad.code == 1 and "no reminder" in bad.err
    assert kehu("reminders", "done", "garbage", store=store_path).code == 1


def test_snooze_hides_until_the_day_then_shows_again(store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏")
    today = TODAY
    buy(store_path, cid, 10, str(today - dt.timedelta(days=2)), "--paid")
    store = open_store(store_path)
    key = engine.due_reminders(store, today, today)[0].key
    later = today + dt.timedelta(days=5)
    snoozed = engine.snooze(store, key, later)
    assert snoozed.due == later
    assert key not in [r.key for r in engine.due_reminders(store, today, today + dt.timedelta(days=4))]
    back = [r for r in engine.due_reminders(store, later, later) if r.key == key]
    assert [r.due for r in back] == [later]
    with pytest.raises(KehuError, match="after today"):
        engine.snooze(store, key, today)
    done = engine.mark_done(store, key)
    assert done.key == key
    assert key not in [r.key for r in engine.due_reminders(store, later, later)]


def test_ics_is_a_valid_calendar_with_one_event_per_reminder(demo_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "today.ics"
    listed = due(demo_copy, "2026-11-20", 7)
    result = kehu("reminders", "--from", "2026-11-20", "--days", "7", "--ics", str(out),
                  store=demo_copy)
    assert result.code == 0, result.err
    cal = Calendar.from_ical(out.read_bytes())
    events = list(cal.walk("VEVENT"))
    assert len(events) == len(listed) > 50
    assert len({str(e["UID"]) for e in events}) == len(events)
    by_uid = {str(e["UID"]): e for e in events}
    first = listed[0]
    event = by_uid[first["key"] + "@kehu"]
    assert event.decoded("DTSTART") == D.fromisoformat(first["due"])
    assert first["customer_name"] in str(event["SUMMARY"])
    assert {r["rule"] for r in listed} >= {"greeting", "survey", "touch", "overdue", "dormant"}


def test_next_reminder_is_a_customer_value(store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏", "--birthday", "--12-31")
    shown = kehu("customer", "show", cid, "--json", store=store_path).json()
    assert shown["next_reminder"]["rule"] in {"birthday", "touch", "holiday"}
    assert shown["next_reminder"]["key"].split(":")[1] == cid
