"""Chinese public holidays and 调休, one of kehu's calendar rules (docs/calendar.md; the
others are in :mod:`kehu_core.calendar`): :func:`days_off`, :func:`makeup_workdays`,
:func:`is_workday` and :func:`statutory_holidays` come from the ``holidays`` package
(comparison with ``chinesecalendar`` in docs/calendar.md); :func:`lunar_festivals` are the
shop's own festivals of the lunar calendar, placed by :func:`calendar.lunar_occurrences`.

Time is data: nothing here reads the clock; callers pass the years or the window. The
``holidays`` package is imported inside the functions, at the first question."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cache
from typing import NamedTuple

from .calendar import lunar_occurrences

STATUTORY = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")


class Holiday(NamedTuple):
    name: str  # 春节, 国庆节, 农历除夕 ... as the holidays package names it in zh_CN
    day: dt.date


class YearTable(NamedTuple):
    """One year's days off (day → the package's Chinese label) and 调休 working weekend days."""

    days: dict[dt.date, str]
    weekend_workdays: frozenset[dt.date]

    def items(self) -> Iterable[tuple[dt.date, str]]:
        return self.days.items()

    def __contains__(self, day: object) -> bool:
        return day in self.days


@cache  # one table per year, shared by every customer's holiday greeting
def _table(year: int) -> YearTable:
    # Building a year's table from the holidays package costs 0.2-0.4 s of every command that
    # greets for a holiday (its country registry and rules). The table depends only on the
    # package and the year, so it is kept in the user's cache, under the package's version.
    from .holiday_cache import cached_year

    return YearTable(*cached_year(year, _from_package))


def _from_package(year: int) -> tuple[dict[dt.date, str], frozenset[dt.date]]:
    import holidays

    # The official schedule (with 调休) for each year the package has it (2026 in 0.109);
    # later years follow the statutory rules without 调休, which are announced each November.
    table = holidays.country_holidays("CN", years=year, language="zh_CN")
    return {d: str(label) for d, label in table.items()}, frozenset(table.weekend_workdays)


def days_off(start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """Statutory days off in ``start``..``end``: holidays, their 补假 and the rest days moved by
    调休 (``休息日（由 2026-02-14 调休）``), with the package's Chinese labels."""
    out: dict[dt.date, str] = {}
    for year in range(start.year, end.year + 1):
        out.update((d, label) for d, label in _table(year).items() if start <= d <= end)
    return dict(sorted(out.items()))


def makeup_workdays(start: dt.date, end: dt.date) -> list[dt.date]:
    """The weekend days in ``start``..``end`` that are working days by 调休 (补班)."""
    found: set[dt.date] = set()
    for year in range(start.year, end.year + 1):
        # weekend_workdays also carries a few make-up days of other years: filter by window
        found.update(d for d in _table(year).weekend_workdays if start <= d <= end)
    return sorted(found)


def is_workday(day: dt.date) -> bool:
    """A working day in China: Monday-Friday except days off, plus the 调休 Saturdays/Sundays."""
    table = _table(day.year)
    if day in table.weekend_workdays:
        return True
    return day.weekday() < 5 and day not in table


def statutory_holidays(years: Iterable[int], names: Iterable[str] = STATUTORY) -> list[Holiday]:
    """The first day of each named holiday (元旦, 春节, 中秋节 ...) in each of ``years``, by day.

    The first day carrying the plain name counts: 春节 2025 is 01-29 (除夕 01-28 is its own
    holiday, 农历除夕); a 补假 or 调休 rest day never counts as the holiday itself.
    """
    wanted = set(names)
    found: dict[tuple[str, int], dt.date] = {}
    for year in sorted(set(years)):
        for day, label in sorted(_table(year).items()):
            for name in str(label).split("; "):  # two holidays on one day are joined by "; "
                if name in wanted:
                    found.setdefault((name, day.year), day)
    return sorted((Holiday(name, day) for (name, _kind), day in found.items()), key=lambda h: (h.day, h.name))


def lunar_festivals(festivals: dict[str, str], start: dt.date, end: dt.date) -> list[Holiday]:
    """Festivals given as lunar dates (元宵节 01-15, 重阳节 09-09) in ``start``..``end``, by day."""
    out = [Holiday(name, day) for name, text in festivals.items() for day in lunar_occurrences(text, start, end)]
    return sorted(out, key=lambda h: (h.day, h.name))
