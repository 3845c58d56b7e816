"""kehu_core.calendar: the documented rules (docs/calendar.md), the holidays and 调休 from the
library, and the agreement of reminders, the birthday segment and the .ics export on every
lunar birthday over 2020-2040. Every date here is fixed; none comes from the clock."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from kehu_core import calendar, holidays_cn, i18n
from kehu_core import reminder_engine as engine
from kehu_core.models import Customer
from kehu_core.services import segments
from kehu_core.services.day_events import birthday_events
from kehu_core.store import open_store

from .conftest import kehu
from .pluginutil import configure

D = dt.date
FIRST, LAST = 2020, 2040


# --- the rules --------------------------------------------------------------------------------


def test_lunar_text_forms() -> None:
    assert calendar.parse_lunar("04-10") == calendar.LunarDay(4, 10, False)
    assert calendar.parse_lunar("闰04-10") == calendar.parse_lunar("L04-10") == calendar.LunarDay(4, 10, True)
    assert str(calendar.parse_lunar("L04-10")) == "闰04-10"
    assert calendar.parse_lunar("闰04-10").chinese == "闰四月初十"
    assert calendar.parse_lunar("12-23").chinese == "腊月廿三"
    assert calendar.parse_lunar("01-30").chinese == "正月三十"
    # as people type and say it (the twenty-third round): without its zeros, in Chinese
    assert calendar.parse_lunar("4-10") == calendar.parse_lunar("四月初十") == calendar.LunarDay(4, 10, False)
    assert calendar.parse_lunar("闰4-10") == calendar.parse_lunar("闰四月初十") == calendar.LunarDay(4, 10, True)
    assert calendar.parse_lunar("十二月二十三") == calendar.parse_lunar("腊月廿三") == calendar.LunarDay(12, 23)
    for bad in ("13-01", "00-10", "04-31", "4-31", "闰闰04-10", "04/10", "", "十三月初一", "四月三十一", "04-10\n"):
        with pytest.raises(ValueError, match="expected MM-DD"):
            calendar.parse_lunar(bad)


def test_a_leap_month_the_year_lacks_falls_back_to_the_ordinary_month() -> None:
    # 2020 has a 闰四月; 2026 has none, so 闰04-10 is kept on 四月初十
    assert calendar.lunar_to_solar("闰04-10", 2020) == D(2020, 6, 1)
    assert calendar.lunar_to_solar("04-10", 2020) == D(2020, 5, 2)
    assert calendar.lunar_to_solar("闰04-10", 2026) == calendar.lunar_to_solar("04-10", 2026) == D(2026, 5, 26)


def test_leap_month_first_then_its_missing_30th() -> None:
    # 2025 has a 闰六月 of 29 days: 闰06-30 stays in the leap month, on its 29th (the old
    # reminder said 2025-07-24, which is the ordinary 六月三十)
    assert calendar.lunar_to_solar("闰06-30", 2025) == calendar.lunar_to_solar("闰06-29", 2025) == D(2025, 8, 22)
    assert calendar.lunar_to_solar("06-30", 2025) == D(2025, 7, 24)


def test_a_30th_the_month_lacks_is_the_29th() -> None:
    # 腊月 of lunar 2030 has 29 days; 腊月 of lunar 2029 has 30
    assert calendar.lunar_to_solar("12-30", 2030) == calendar.lunar_to_solar("12-29", 2030) == D(2031, 1, 22)
    assert calendar.lunar_to_solar("12-30", 2029) == D(2030, 2, 2)
    assert calendar.lunar_to_solar("12-29", 2029) == D(2030, 2, 1)
    # 大年三十 of lunar 2025 is 腊月廿九, the day the holidays package calls 农历除夕
    eve = calendar.lunar_to_solar("12-30", 2025)
    assert eve == D(2026, 2, 16) and holidays_cn.days_off(eve, eve) == {eve: "农历除夕"}


def test_a_late_lunar_date_can_fall_twice_or_never_in_a_solar_year() -> None:
    assert calendar.lunar_occurrences("11-20", D(2026, 1, 1), D(2026, 12, 31)) == [D(2026, 1, 8), D(2026, 12, 28)]
    assert calendar.lunar_occurrences("11-20", D(2025, 1, 1), D(2025, 12, 31)) == []
    # 腊月 of lunar 2024 is in January 2025
    assert calendar.lunar_occurrences("12-05", D(2025, 1, 1), D(2025, 1, 31)) == [D(2025, 1, 4)]
    with pytest.raises(ValueError, match="1900-2099"):
        calendar.lunar_to_solar("01-01", 2100)


def test_29_february_is_28_february_in_a_common_year() -> None:
    assert calendar.solar_in_year(2, 29, 2025) == D(2025, 2, 28)
    assert calendar.solar_in_year(2, 29, 2028) == D(2028, 2, 29)
    assert calendar.solar_in_year(2, 29, 2100) == D(2100, 2, 28)  # not a leap year
    assert calendar.anniversary(D(2024, 2, 29), 2026) == D(2026, 2, 28)
    assert calendar.solar_occurrences("--02-29", D(2025, 1, 1), D(2028, 12, 31)) == [
        D(2025, 2, 28), D(2026, 2, 28), D(2027, 2, 28), D(2028, 2, 29)]
    # none before the year of birth
    assert calendar.solar_occurrences("2027-05-01", D(2025, 1, 1), D(2028, 12, 31)) == [D(2027, 5, 1), D(2028, 5, 1)]
    with pytest.raises(ValueError, match="no such day"):
        calendar.parse_solar("2025-02-29")


def test_birthdays_of_a_customer_with_ages_and_labels() -> None:
    found = calendar.birthdays("1992-02-29", "闰04-10", D(2025, 1, 1), D(2025, 12, 31))
    assert [(b.day, b.lunar, b.age, b.label) for b in found] == [
        (D(2025, 2, 28), False, 33, "February 28"),
        (D(2025, 5, 7), True, None, "lunar leap 04-10"),  # 2025 has no 闰四月
    ]
    i18n.set_language("zh_CN")  # the label is in the user's language (the autouse fixture resets it)
    assert [b.label for b in found] == ["2月28日", "农历闰四月初十"]
    assert calendar.birthday_months(None, "11-20", 2026) == {1, 12}


def test_holidays_and_make_up_workdays_2025_2026() -> None:
    off = holidays_cn.days_off(D(2025, 1, 1), D(2025, 12, 31))
    assert off[D(2025, 1, 28)] == "农历除夕"  # a statutory holiday since 2025
    assert off[D(2025, 1, 29)] == "春节"
    assert off[D(2025, 2, 3)] == "休息日（由 2025-01-26 调休）"
    assert holidays_cn.makeup_workdays(D(2025, 1, 1), D(2025, 12, 31)) == [
        D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)]
    assert holidays_cn.makeup_workdays(D(2026, 1, 1), D(2026, 3, 31)) == [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28)]
    assert holidays_cn.is_workday(D(2026, 2, 14))  # a Saturday, worked for 春节
    assert not holidays_cn.is_workday(D(2026, 2, 20))  # a Friday off, moved from 02-14
    assert not holidays_cn.is_workday(D(2026, 2, 21))  # an ordinary Saturday
    assert holidays_cn.is_workday(D(2026, 3, 2))
    first = {(h.name, h.day) for h in holidays_cn.statutory_holidays([2025, 2026])}
    assert {("春节", D(2025, 1, 29)), ("中秋节", D(2025, 10, 6)), ("国庆节", D(2025, 10, 1)),
            ("春节", D(2026, 2, 17)), ("中秋节", D(2026, 9, 25)), ("元旦", D(2026, 1, 1))} <= first
    assert [h.day for h in holidays_cn.statutory_holidays([2027], ["春节"])] == [D(2027, 2, 6)]
    assert holidays_cn.lunar_festivals({"元宵节": "01-15"}, D(2026, 1, 1), D(2026, 12, 31)) == [
        holidays_cn.Holiday("元宵节", D(2026, 3, 3))]


def test_importing_the_module_loads_no_date_library() -> None:
    code = ("import sys, kehu_core.calendar, kehu_core.holidays_cn, kehu_core.models; "
            "print(sorted({'lunardate', 'holidays'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_holiday_tables_kept_in_the_cache_agree_with_the_package(tmp_path: Path) -> None:
    """The years' tables are kept in the user's cache (a later command does not import the
    holidays package); what comes back from it is what the package says, and a damaged file
    is worked out again rather than believed."""
    code = ("import sys, datetime as dt, json; from kehu_core import holidays_cn as c;"
            "off = c.days_off(dt.date(2024, 1, 1), dt.date(2027, 12, 31));"
            "work = c.makeup_workdays(dt.date(2024, 1, 1), dt.date(2027, 12, 31));"
            "print(json.dumps([{str(d): v for d, v in off.items()}, [str(d) for d in work],"
            " 'holidays' in sys.modules]))")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}

    def run() -> list:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        return json.loads(out.stdout)

    first, again = run(), run()
    assert first[2] and not again[2]  # worked out once, then read from the cache
    assert first[:2] == again[:2]
    import holidays

    for year in range(2024, 2028):
        table = holidays.country_holidays("CN", years=year, language="zh_CN")
        assert {d: v for d, v in again[0].items() if d.startswith(str(year))} == {
            str(d): str(label) for d, label in sorted(table.items())}
    files = sorted(tmp_path.glob("kehu/holidays-CN-2026-*.json"))
    assert len(files) == 1
    files[0].write_text('{"days": {"2026-13-01": 1}}', encoding="utf-8")  # damaged
    assert run()[:2] == first[:2]


# --- reminders, segments and .ics agree ------------------------------------------------------

LUNAR = [f"{'闰' if leap else ''}{m:02d}-{d:02d}" for leap in (False, True) for m in range(1, 13) for d in range(1, 31)]
SOLAR = ["1992-02-29", "--02-29", "1985-04-12", "--12-31", "2030-01-01"]


def _build(path: Path) -> list[Customer]:
    assert kehu("init", str(path)).code == 0
    # only the birthday rule, and nothing missed before the window counts (catch_up_days 0)
    off = {"enabled": False}
    configure(path, reminders={"catch_up_days": 0, "greeting": {**off, "days": 2}, "survey": {**off, "days": 7},
                               "touch": off, "holidays": off, "key_visits": off, "overdue": off, "dormant": off})
    # written on the window's last day: a birthday after the store's day is refused, and one
    # customer is born in 2030, inside the window the reminders are asked for from 2020
    store = open_store(path, today=D(LAST, 12, 31))
    customers = [Customer(id=f"l{i:03d}", name=text, lunar_birthday=text) for i, text in enumerate(LUNAR)]
    customers += [Customer(id=f"s{i}", name=text, birthday=text) for i, text in enumerate(SOLAR)]
    with store.batch():
        for customer in customers:
            store.add_customer(customer)
    return customers


def _ics_days(customer: Customer) -> set[dt.date]:
    days = set()
    window = dt.datetime(FIRST, 1, 1), dt.datetime(LAST, 12, 31)
    for event in birthday_events(customer, FIRST, LAST):
        start = event.decoded("dtstart")
        if "rrule" not in event:
            days.add(start)
            continue
        # expand the yearly rule as a calendar application would
        rule = rrulestr(event["rrule"].to_ical().decode(), dtstart=dt.datetime.combine(start, dt.time()))
        days.update(d.date() for d in rule.between(*window, inc=True))
    return days


def test_reminders_segments_and_ics_agree_on_every_lunar_birthday_2020_2040(tmp_path: Path) -> None:
    customers = _build(tmp_path / "store")
    store = open_store(tmp_path / "store", today=D(FIRST, 1, 1))

    reminded: dict[str, set[dt.date]] = defaultdict(set)
    for r in engine.due_reminders(store, D(FIRST, 1, 1), D(LAST, 12, 31)):
        assert r.rule in ("birthday", "lunar-birthday")
        reminded[r.customer_id].add(r.due)  # lead_days 0: due on the day itself

    in_segment: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for year in range(FIRST, LAST + 1):
        for month in range(1, 13):
            wanted = segments.birthday_months_of(["this"], D(year, month, 15))
            for c in customers:
                if segments.has_birthday_in(c, wanted):
                    in_segment[c.id].add((year, month))

    for c in customers:
        ics = _ics_days(c)
        assert reminded[c.id] == ics, c.name
        assert in_segment[c.id] == {(d.year, d.month) for d in ics}, c.name
        if c.lunar_birthday:  # every lunar date has a day in (almost) every solar year
            assert len(ics) >= LAST - FIRST - 1, c.name

    by_name = {c.name: c.id for c in customers}
    assert D(2025, 8, 22) in reminded[by_name["闰06-30"]]
    assert D(2025, 2, 28) in reminded[by_name["--02-29"]] and D(2028, 2, 29) in reminded[by_name["--02-29"]]
    assert min(reminded[by_name["2030-01-01"]]) == D(2030, 1, 1)  # not before the year of birth
    # 闰04-10 has a birthday every year (in 闰四月 in 2020, 2028 and 2039, else in 四月), so
    # birthday-this-month holds it once a year
    assert {y for y, _ in in_segment[by_name["闰04-10"]]} == set(range(FIRST, LAST + 1))

    # the whole segment, through select(), in two years agrees with the reminders
    spec = segments.SegmentSpec(birthday_month=["this"])
    for year in (2025, 2033):
        for month in range(1, 13):
            members = {c.id for c in segments.select(store, spec, D(year, month, 1))}
            expected = {cid for cid, days in reminded.items() if any((d.year, d.month) == (year, month) for d in days)}
            assert members == expected, (year, month)


def test_cli_export_reminders_and_segment_agree(store_path: Path, tmp_path: Path) -> None:
    ids = {}
    for name, args in {"闰六月": ["--lunar-birthday", "闰06-30"], "闰四月": ["--lunar-birthday", "闰04-10"],
                       "冬月": ["--lunar-birthday", "11-20"], "闰日": ["--birthday", "1992-02-29"]}.items():
        result = kehu("customer", "add", "--name", name, *args, store=store_path)
        assert result.code == 0, result.err
        ids[name] = result.out.strip()

    out = tmp_path / "b.ics"
    assert kehu("--today", "2025-03-01", "export", "--format", "ics", str(out), store=store_path).code == 0
    events = {str(e["uid"]): e for e in Calendar.from_ical(out.read_bytes()).walk("VEVENT")}
    leap_day = events[f"birthday-{ids['闰日']}@kehu"]
    assert leap_day.decoded("dtstart") == D(1992, 2, 29)
    assert dict(leap_day["rrule"]) == {"FREQ": ["YEARLY"], "BYMONTH": [2], "BYMONTHDAY": [-1]}
    lunar = {uid: e.decoded("dtstart") for uid, e in events.items() if uid.startswith("lunar-birthday-")}
    assert lunar[f"lunar-birthday-{ids['闰六月']}-20250822@kehu"] == D(2025, 8, 22)
    # 冬月二十: none in 2025, twice in 2026 (January and December), once in 2027
    winter = sorted(d for uid, d in lunar.items() if ids["冬月"] in uid)
    assert winter == [D(2026, 1, 8), D(2026, 12, 28), D(2027, 12, 17)]
    assert not any(uid.startswith("reminder-lunar-birthday") for uid in events)  # not twice

    def reminded(start: str, days: int) -> set[tuple[str, str]]:
        result = kehu("--today", start, "reminders", "--from", start, "--days", str(days), "--json", store=store_path)
        assert result.code == 0, result.err
        return {(r["customer_id"], r["due"]) for r in result.json() if r["rule"].endswith("birthday")}

    assert reminded("2025-08-22", 1) == {(ids["闰六月"], "2025-08-22")}
    assert reminded("2025-02-28", 1) == {(ids["闰日"], "2025-02-28")}
    assert reminded("2026-01-08", 1) == {(ids["冬月"], "2026-01-08")}

    def segment(today: str) -> set[str]:
        result = kehu("--today", today, "segment", "show", "birthday-this-month", "--json", store=store_path)
        assert result.code == 0, result.err
        return {row["id"] for row in result.json()}

    assert segment("2025-08-01") == {ids["闰六月"]}
    assert segment("2025-02-01") == {ids["闰日"]}
    assert segment("2026-05-01") == {ids["闰四月"]}  # 2026 has no 闰四月: 四月初十 = 05-26
