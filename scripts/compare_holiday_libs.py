"""Compare the two Chinese holiday libraries on 2024-2027 (the table in docs/calendar.md).

For each year: the weekdays each library gives off (statutory holidays and the rest days moved
by 调休), the weekend days each makes working days (the 调休 make-up days), and whether it
knows the year at all. Run: ``.venv/bin/python scripts/compare_holiday_libs.py`` (needs
``pip install chinesecalendar``; kehu itself does not depend on it).
"""

from __future__ import annotations

import datetime as dt

import holidays


def _days(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(days=i) for i in range((dt.date(year + 1, 1, 1) - first).days)]


def from_holidays(year: int) -> tuple[set[dt.date], set[dt.date]]:
    table = holidays.country_holidays("CN", years=year)
    off = {d for d in table if d.weekday() < 5}
    # weekend_workdays also holds a few make-up days of other years (2001-12-29 ...): keep this one
    return off, {d for d in table.weekend_workdays if d.year == year}


def from_chinesecalendar(year: int) -> tuple[set[dt.date], set[dt.date]] | str:
    import chinese_calendar

    try:
        days = _days(year)
        off = {d for d in days if d.weekday() < 5 and not chinese_calendar.is_workday(d)}
        extra = {d for d in days if d.weekday() >= 5 and chinese_calendar.is_workday(d)}
    except NotImplementedError as exc:
        return str(exc)
    return off, extra


def _short(days: set[dt.date]) -> str:
    return " ".join(d.strftime("%m-%d") for d in sorted(days)) or "—"


def main() -> None:
    import chinese_calendar

    print(f"holidays {holidays.__version__}, chinesecalendar {chinese_calendar.__version__}\n")
    print("| year | library | weekdays off | 调休 workdays (weekend) |")
    print("| --- | --- | --- | --- |")
    for year in range(2024, 2028):
        h_off, h_work = from_holidays(year)
        c = from_chinesecalendar(year)
        print(f"| {year} | holidays | {len(h_off)}: {_short(h_off)} | {_short(h_work)} |")
        if isinstance(c, str):
            print(f"| {year} | chinesecalendar | raises NotImplementedError: {c} | — |")
            continue
        c_off, c_work = c
        print(f"| {year} | chinesecalendar | {len(c_off)}: {_short(c_off)} | {_short(c_work)} |")
        same = "agree" if (h_off, h_work) == (c_off, c_work) else (
            f"differ: off only holidays {_short(h_off - c_off)}, only chinesecalendar {_short(c_off - h_off)}; "
            f"workdays only holidays {_short(h_work - c_work)}, only chinesecalendar {_short(c_work - h_work)}")
        print(f"| {year} | both | {same} | |")


if __name__ == "__main__":
    main()
