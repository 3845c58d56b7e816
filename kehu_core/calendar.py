"""The calendar rules of kehu, in one place (docs/calendar.md).

Every part of kehu that asks "on which solar day is this birthday, anniversary or holiday"
asks this module: the reminders plugin, the ``birthday_month`` segment condition, the .ics
export, and through them the CLI and the TUI. A rule written twice drifts (issue 13 found three
lunar conversions that disagreed), so each rule below lives here only:

- **Lunar text** ``MM-DD``, ``闰MM-DD`` or ``LMM-DD`` (leap month), or typed as people say it
  (``6-8``, ``六月初八``, ``腊月廿三``), kept as ``MM-DD``: :func:`parse_lunar`, :func:`typed_lunar`.
- **Lunar to solar** (:func:`lunar_to_solar`): first the month, then the day. A leap month
  the lunar year lacks falls back to the ordinary month of the same number (a family keeps
  the month's name); a 30th the month lacks (a 29-day "small" month) becomes its 29th.
- **Lunar dates in a solar window** (:func:`lunar_occurrences`): lunar year Y runs from late
  January/February of Y into the next solar year, so a late lunar date (冬月, 腊月) of lunar
  year Y-1 can fall in January of Y, and one solar year can hold the same lunar date twice.
- **Solar birthday or anniversary in a year** (:func:`solar_in_year`): 29 February falls on
  28 February in a common year; the .ics export writes the same rule as
  ``RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1`` (the last day of February).
- **Chinese public holidays and 调休** live beside it, in :mod:`kehu_core.holidays_cn`.

Time is data: nothing here reads the clock; callers pass the year or the window. The date
libraries are imported inside the functions, so importing this module (models/fields.py does) costs
nothing at start-up.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import NamedTuple

from .clock import day_range_problem, outside_kept_dates
from .i18n import _, is_chinese

# ASCII digits, matched in the text as typed is read (birthday_text: full-width digits are these)
LUNAR_RE = re.compile(r"^(闰|L)?(\d{2})-(\d{2})\Z", re.ASCII)
SOLAR_RE = re.compile(r"^(?:(\d{4})|-)-(\d{2})-(\d{2})\Z", re.ASCII)
# lunardate knows lunar years 1900-2099; outside them there is no lunar date to convert
LUNAR_YEARS = range(1900, 2100)
_CN_MONTHS = "正二三四五六七八九十冬腊"
_CN_DIGITS = "一二三四五六七八九十"


# --- lunar dates ------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class LunarDay:
    """A day of the lunar calendar without its year, as a birthday or a festival is kept."""

    month: int
    day: int
    leap: bool = False

    def __str__(self) -> str:
        return f"{'闰' if self.leap else ''}{self.month:02d}-{self.day:02d}"

    @property
    def chinese(self) -> str:
        """``闰四月初十``, ``腊月廿三``: the way a calendar prints it."""
        return f"{'闰' if self.leap else ''}{_CN_MONTHS[self.month - 1]}月{_cn_day(self.day)}"


def _cn_day(day: int) -> str:
    if day <= 10:
        return "初" + _CN_DIGITS[day - 1]
    if day < 20:
        return "十" + _CN_DIGITS[day - 11]
    if day == 20:
        return "二十"
    if day < 30:
        return "廿" + _CN_DIGITS[day - 21]
    return "三十"


def birthday_text(text: object) -> str:
    """A birthday as typed, read as a day is (``clock.typed_day``): NFKC, so full-width digits
    and dashes (an IME left in full-width: ２０２０-０１-１５) are ASCII ones; digits of another
    script stay what they are, and the patterns (ASCII digits) refuse them. What every door keeps
    (``models.fields.check_birthday``): the contract's ``birthday`` is ``YYYY-MM-DD``."""
    return unicodedata.normalize("NFKC", str(text))


def parse_lunar(text: str | LunarDay) -> LunarDay:
    """``MM-DD`` (month 1-12, day 1-30); ``闰MM-DD`` or ``LMM-DD`` for a leap month. As a person
    types one, too: ``6-8``, ``闰6-30``, and the way a calendar prints it and people say it,
    ``六月初八``, ``闰四月初十``, ``腊月廿三`` (``十二月二十三``, ``冬月``/``十一月``, ``正月``/``一月``)."""
    if isinstance(text, LunarDay):
        return text
    typed = birthday_text(text)
    match = LUNAR_RE.match(typed) or _TYPED_LUNAR.match(typed)
    if match and 1 <= int(match.group(2)) <= 12 and 1 <= int(match.group(3)) <= 30:
        return LunarDay(int(match.group(2)), int(match.group(3)), bool(match.group(1)))
    said = _said_lunar_days().get(typed.removesuffix("日"))
    if said is None:
        raise ValueError(_("lunar birthday {text}: expected MM-DD (month 1-12, day 1-30)").format(text=repr(text)))
    return said


def typed_lunar(text: str) -> str:
    """A lunar birthday as kehu keeps it: ``MM-DD`` and ``闰MM-DD``/``LMM-DD`` as written
    (full-width digits in ASCII ones), any other form :func:`parse_lunar` reads (``六月初八``,
    ``6-8``) as ``06-08``, the contract's ``MM-DD``."""
    lunar, typed = parse_lunar(text), birthday_text(text)
    return typed if LUNAR_RE.match(typed) else str(lunar)


# a lunar day typed without its leading zeros: 6-8, 闰6-30
_TYPED_LUNAR = re.compile(r"^(闰|L)?(\d{1,2})-(\d{1,2})\Z", re.ASCII)


@cache
def _said_lunar_days() -> dict[str, LunarDay]:
    """Every lunar day as a calendar prints it (:attr:`LunarDay.chinese`), and as people also
    write it: ``一月`` for 正月, ``十一月``/``十二月`` for 冬月/腊月, ``二十三`` for 廿三."""
    said: dict[str, LunarDay] = {}
    months = {number: [name + "月"] for number, name in enumerate(_CN_MONTHS, start=1)}
    months[1].append("一月")
    months[11].append("十一月")
    months[12].append("十二月")
    for number, names in months.items():
        for day in range(1, 31):
            days = [_cn_day(day)] + (["二十" + _CN_DIGITS[day - 21]] if 21 <= day <= 29 else [])
            for leap in (False, True):
                for month_name in names:
                    for day_name in days:
                        said[f"{'闰' if leap else ''}{month_name}{day_name}"] = LunarDay(number, day, leap)
    return said


def lunar_to_solar(lunar: str | LunarDay, lunar_year: int) -> dt.date:
    """The solar date of ``lunar`` in lunar year ``lunar_year`` (1900-2099).

    The month first: a leap month the year lacks becomes the ordinary month of that number.
    Then the day: a 30th the month lacks becomes the 29th. So 闰06-30 in 2025 (a 29-day 闰六月)
    is 闰六月廿九 = 2025-08-22, and 闰04-10 in 2026 (no 闰四月) is 四月初十 = 2026-05-26.
    """
    day = parse_lunar(lunar)
    if lunar_year not in LUNAR_YEARS:
        raise ValueError(_("lunar year {lunar_year}: only {start}-{value} are known").format(
            lunar_year=lunar_year, start=LUNAR_YEARS.start, value=LUNAR_YEARS.stop - 1))
    return _to_solar(day.month, day.day, day.leap, lunar_year)


@cache  # a few hundred distinct (date, year) pairs serve every customer of a store
def _to_solar(month: int, day: int, leap: bool, year: int) -> dt.date:
    from lunardate import LunarDate

    # lunardate says only "out of range", not whether the month or the day is missing, so
    # try in the order of the rule: the (leap) month as written, its 29th, then the
    # ordinary month, its 29th.
    tries = [(leap, day)] + ([(leap, 29)] if day == 30 else [])
    if leap:
        tries += [(False, day)] + ([(False, 29)] if day == 30 else [])
    for is_leap, d in tries:
        try:
            return LunarDate(year, month, d, is_leap).to_solar_date()
        except ValueError:
            continue
    # not reached for 1-12/1-30
    raise ValueError(_("no lunar date {month:02d}-{day:02d} in {year}").format(month=month, day=day, year=year))


def lunar_occurrences(lunar: str | LunarDay, start: dt.date, end: dt.date) -> list[dt.date]:
    """Every solar day in ``start``..``end`` (inclusive) on which ``lunar`` falls, in order.

    Lunar year Y ends in January or February of Y+1, so the lunar years Y-1..end.year are
    asked; a window of one solar year can hold the same lunar date twice (腊月 of two years).
    """
    day = parse_lunar(lunar)
    first, last = max(start.year - 1, LUNAR_YEARS.start), min(end.year, LUNAR_YEARS.stop - 1)
    found = (_to_solar(day.month, day.day, day.leap, year) for year in range(first, last + 1))
    return [d for d in found if start <= d <= end]


# --- solar dates --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SolarDay:
    """A solar birthday: ``YYYY-MM-DD``, or ``--MM-DD`` when the year is unknown (vCard's form)."""

    year: int | None
    month: int
    day: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}" if self.year else f"--{self.month:02d}-{self.day:02d}"


def parse_solar(text: str | SolarDay) -> SolarDay:
    """``YYYY-MM-DD`` or ``--MM-DD``; ``--02-29`` is allowed (a leap-day birthday, year unknown)."""
    if isinstance(text, SolarDay):
        return text
    match = SOLAR_RE.match(birthday_text(text))
    if not match:
        raise ValueError(_("birthday {text}: expected YYYY-MM-DD or --MM-DD").format(text=repr(text)))
    year = int(match.group(1)) if match.group(1) else None
    month, day = int(match.group(2)), int(match.group(3))
    if year == 0:  # no date holds year 0 (it was read as "no year": 0000-01-01 passed as --01-01)
        raise ValueError(_("birthday {text}: {exc}").format(text=repr(text), exc=outside_kept_dates(str(text))))
    try:
        date = dt.date(2000 if year is None else year, month, day)  # 2000 is a leap year, so --02-29 passes
    except ValueError:  # Python's words ("month must be in 1..12") are English: said here
        why = _("there is no month {month}").format(month=month) if not 1 <= month <= 12 else _("no such day")
        raise ValueError(_("birthday {text}: {exc}").format(text=repr(text), exc=why)) from None
    problem = day_range_problem(date)  # the one range of dates, in a birthday as in any date
    if problem is not None:
        raise ValueError(_("birthday {text}: {exc}").format(text=repr(text), exc=problem))
    return SolarDay(year, month, day)


def birthday_after(text: str | None, today: dt.date) -> str | None:
    """What is wrong with the solar birthday ``text`` on ``today``: a day after it (nobody is
    born yet on it; a typo, 2062 for 1962); None when it is fine, has no year or is none."""
    if not text:
        return None
    try:
        born = parse_solar(text)
    except ValueError:  # the file's own validation says why
        return None
    if born.year is None or dt.date(born.year, born.month, born.day) <= today:
        return None
    return _("birthday: {text} is after today ({today})").format(text=text, today=today.isoformat())


def created_after(created: dt.date | None, today: dt.date) -> str | None:
    """What is wrong with a profile's ``created`` day on ``today``: a day after it (a typo,
    2062 for 2026); None when it is fine or none. Refused by every door that writes a profile
    (``Store.door_problems``), where today is the day the user works at; a warning only in
    ``kehu check`` (``checking.created_warnings``), which reads records other clones wrote on
    their own day (a colleague east of here past midnight) and runs at a day of the user's
    choosing (``--today`` before customers created since): see docs/reliability.md."""
    if created is None or created <= today:
        return None
    return _("created: {created} is after today ({today})").format(created=created.isoformat(),
                                                                  today=today.isoformat())


def solar_in_year(month: int, day: int, year: int) -> dt.date:
    """``month``-``day`` in ``year``; 29 February is kept on 28 February in a common year
    (still in February, the month the person and the segment expect)."""
    if (month, day) == (2, 29) and not _leap_year(year):
        return dt.date(year, 2, 28)
    return dt.date(year, month, day)


def anniversary(first: dt.date, year: int) -> dt.date:
    """The day in ``year`` that marks ``first`` (a first purchase, a wedding): same rule."""
    return solar_in_year(first.month, first.day, year)


def solar_occurrences(solar: str | SolarDay, start: dt.date, end: dt.date) -> list[dt.date]:
    """The days in ``start``..``end`` on which a solar birthday falls, from its year on."""
    day = parse_solar(solar)
    first = max(start.year, day.year or 1)
    found = (solar_in_year(day.month, day.day, year) for year in range(first, end.year + 1))
    return [d for d in found if start <= d <= end]


def _leap_year(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# --- a customer's birthdays -------------------------------------------------------------------


class Birthday(NamedTuple):
    """One celebration of a birthday: the solar day, and what the record says."""

    day: dt.date
    lunar: bool
    text: str  # the record's value: 1990-04-12, --02-29, 闰04-10

    @property
    def age(self) -> int | None:
        """Years since birth for a solar birthday with a year (lunar ones have none)."""
        if self.lunar or self.text.startswith("--"):
            return None
        return self.day.year - int(self.text[:4])

    @property
    def label(self) -> str:
        """The day in the user's language, for messages: ``4月12日`` or ``农历闰四月初十`` in
        Chinese, ``April 12`` or ``lunar leap 04-10`` in English."""
        if self.lunar:
            day = parse_lunar(self.text)
            if is_chinese():
                return f"农历{day.chinese}"
            return (_("lunar leap {month:02d}-{day:02d}") if day.leap else
                    _("lunar {month:02d}-{day:02d}")).format(month=day.month, day=day.day)
        if is_chinese():
            return f"{self.day.month}月{self.day.day}日"
        return self.day.strftime("%B ") + str(self.day.day)


def birthdays(birthday: str | None, lunar_birthday: str | None, start: dt.date, end: dt.date) -> list[Birthday]:
    """Every celebration of a customer's solar and lunar birthday in ``start``..``end``, by day.

    The reminders plugin, the ``birthday_month`` segment condition and the .ics export all
    ask this, which is what keeps them agreeing (tests/test_calendar.py checks 2020-2040).
    """
    out = []
    if birthday:
        out += [Birthday(d, False, birthday) for d in solar_occurrences(birthday, start, end)]
    if lunar_birthday:
        out += [Birthday(d, True, lunar_birthday) for d in lunar_occurrences(lunar_birthday, start, end)]
    return sorted(out)


@lru_cache(maxsize=1 << 16)  # a segment asks it for every customer; few distinct birthdays
def birthday_months(birthday: str | None, lunar_birthday: str | None, year: int) -> frozenset[int]:
    """The solar months of ``year`` in which the customer has a (solar or lunar) birthday."""
    days = birthdays(birthday, lunar_birthday, dt.date(year, 1, 1), dt.date(year, 12, 31))
    return frozenset(b.day.month for b in days)
