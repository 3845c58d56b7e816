"""Reading the loose values people type into contacts and sheets: dates, amounts, birthdays.

Each reader returns kehu's form or raises ``ValueError`` with a message fit for the user; the
caller adds the file and line.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ...i18n import _
from ...models import CENT, check_birthday
from ...models.typed_lists import typed_list, written_list
from ...money import MONEY_DIGITS, NotPlainDigits, amount_problem, number_text, typed_amount

#: how far a spreadsheet's binary number may be from a whole fen and still be that fen (a float
#: holds 0.1 + 0.2 as 0.30000000000000004; a typed 10.005 is a tenth of a fen off, and refused)
_FLOAT_NOISE = Decimal("1e-9")

# Chinese shops write year-first dates: 2024/5/20, 2024-03-01, 2024.5.20, 2024年5月20日.
# a date, and after it only a time of day a sheet's or a program's date-time cell shows (checked
# by _time_problem): "2026-11-01 至 2026-11-30" or "2026-11-01 25:00" was read as 2026-11-01
_YMD = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                  r"(?:[ T]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?\s*$")
_MD = re.compile(r"^\s*(?:--)?(\d{1,2})\s*[-/.月]?\s*(\d{1,2})\s*日?\s*$")
_COMPACT = re.compile(r"^\s*(\d{4}|--)(\d{2})(\d{2})\s*$")  # vCard 19850412 / --0412


def text(value: Any) -> str:
    """A cell or property as clean text, as the sheet shows it: numbers from Excel lose their
    ``.0`` and a float its digits past the 15 Excel shows (1/3 is 0.333333333333333), a yes/no cell
    is ``TRUE``/``FALSE`` (it was Python's ``True``, a name or a note no sheet showed)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.15g}"
    if isinstance(value, dt.datetime):
        # as a sheet shows a date and time, with a space: 2026-01-01T10:30:00 was no sheet's
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    # a byte order mark is no content: one in the middle of a file starts a second file joined on
    # (`cat a.csv b.csv`, each exported with one), and was kept in a name ("\ufeff姓名")
    return str(value).strip().lstrip("\ufeff").strip()


def row_keys(row: list[Any]) -> list[str]:
    """A row's cells as a sheet's headers are matched (``computed_fields.column_key``), its
    empty cells at the end left out: a row equal to the header's is the header again."""
    from ...computed_fields import column_key

    keys = [column_key(text(cell)) for cell in row]
    while keys and not keys[-1]:
        keys.pop()
    return keys


class PhantomDay:
    """An .xlsx date cell holding Excel's serial day 60, which Excel shows as 1900-02-29: a day
    that never was (Excel counts 1900 as a leap year, as Lotus 1-2-3 did). openpyxl and
    calamine both read it as 1900-02-28, the day of serial 59, so a sale would have been
    dated the day before; as text (:func:`text`) it is what the sheet shows, and no reader of dates takes it
    (:func:`parse_date`, :func:`parse_birthday`). Made by ``sheet_tables.no_phantom_day``."""

    __slots__ = ()

    def __str__(self) -> str:
        return "1900-02-29"

    def __repr__(self) -> str:
        return "PhantomDay()"


class CellError:
    """An .xlsx cell holding one of Excel's error values (``#N/A``, ``#DIV/0!``, ``#REF!`` ...: a
    formula that failed, kept as its result). calamine read it as an empty cell, openpyxl as the
    text: an amount of ``#DIV/0!`` was a sale without its amount, a heading of ``#N/A`` a column
    named so. As text (:func:`text`) it is what the sheet shows; ``sheet.contact_from_row``
    refuses it in a column it imports, naming the cell. Made by ``workbook_scan.cells_as_shown``."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"CellError({self.value!r})"


#: Excel's error values, as a sheet shows them (and as a CSV saved from it holds them)
ERROR_VALUES = frozenset({"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!",
                          "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})


def json_texts(value: str) -> list[str] | None:
    """A cell's texts when it is a list of them (``models.typed_lists.written_list``: JSON, as
    ``kehu export`` writes a list one of whose texts holds the mark that separates them, or
    YAML's flow form); else None, as for an empty list."""
    return written_list(value) or None


def split_list(value: str) -> list[str]:
    """``茶巾、试饮装`` / ``VIP, 老客户`` / ``["VIP", "老客户"]`` → items (``models.typed_lists.typed_list``)."""
    return typed_list(value)


#: a phone number as a spreadsheet wrote a number cell: 13800138000.0 (a float's text, as pandas
#: and some exports write it), 1.38001E+10 (scientific notation: the last digits are gone)
_FLOAT_TEXT = re.compile(r"^\+?(\d+)\.0+$")
_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?[eE]\+?\d+$")


def phone_cell(value: str) -> str:
    """A sheet's phone cell as the number it holds: a spreadsheet number's text ``13800138000.0``
    is ``13800138000`` (it was refused as "not a valid number", though whole), and one in
    scientific notation (``1.38001E+10``, what Excel shows and exports of a long number) is
    refused for what it is: its last digits are lost, no phone can be made of it."""
    if _SCIENTIFIC.match(value):
        raise ValueError(_("phone {value}: a spreadsheet wrote the number in scientific notation and its last "
                           "digits are lost; format the column as text in the spreadsheet and export it "
                           "again").format(value=value))
    whole = _FLOAT_TEXT.match(value)
    return value[:whole.end(1)] if whole else value


def parse_date(value: Any) -> dt.date:
    """A transaction date: an Excel date cell, ``2024/5/20``, ``2024-03-01``, ``2024年5月20日``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, PhantomDay):
        raise ValueError(_("date 1900-02-29 (Excel's day 60): no such day, as 1900 was no leap year "
                           "(Excel counts it as one); expected a real date"))
    raw = text(value)
    match = _YMD.match(raw)
    if match:
        year, month, day = map(int, match.groups()[:3])
        if _time_problem(match.groups()[3:]):
            raise ValueError(_("date {raw}: there is no such time of day").format(raw=repr(raw)))
        if not 1 <= month <= 12:
            raise ValueError(_("date {raw}: there is no month {month}").format(raw=repr(raw), month=month))
        try:
            return dt.date(year, month, day)
        except ValueError:
            raise ValueError(_("date {raw}: no such day").format(raw=repr(raw))) from None
    raise ValueError(_("date {raw}: expected a date like 2024/5/20 or 2024-03-01 (year first)").format(raw=repr(raw)))


def _time_problem(parts: tuple[str | None, ...]) -> bool:
    """Whether a time of day after a date (hours, minutes, seconds as matched) is none."""
    hour, minute, second = (int(p) if p is not None else 0 for p in parts)
    return hour > 23 or minute > 59 or second > 60  # 60: a leap second


def parse_amount(value: Any) -> Decimal:
    """``1,288.00``, ``¥1288``, ``1288元`` or an Excel number → Decimal with cents."""
    if isinstance(value, float):  # a spreadsheet's number: 0.1 + 0.2 is 0.30000000000000004
        amount = Decimal(repr(value))
        if (amount.is_finite() and amount.adjusted() < MONEY_DIGITS
                and abs(amount - amount.quantize(CENT)) < _FLOAT_NOISE):
            amount = amount.quantize(CENT)
    elif isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        amount = Decimal(str(value))
    else:
        raw = text(value)
        try:
            amount = typed_amount(raw)  # -0 is 0; nothing rounded
        except NotPlainDigits as exc:
            raise ValueError(_("amount {problem}").format(problem=exc)) from None
        except InvalidOperation:
            raise ValueError(_("amount {raw}: expected a number like 1,288.00").format(raw=repr(raw))) from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(_("amount {raw}: expected a non-negative number").format(raw=repr(value)))
    problem = amount_problem(amount)  # 1e9999, 10.005: refused as `purchase add` refuses them, never rounded
    if problem is not None:
        raise ValueError(_("amount {raw}: {problem}").format(raw=repr(value), problem=problem))
    return amount.quantize(CENT)


def parse_qty(value: Any) -> Decimal:
    raw = text(value)
    try:
        qty = Decimal(number_text(raw))
    except NotPlainDigits as exc:
        raise ValueError(_("quantity {problem}").format(problem=exc)) from None
    except InvalidOperation:
        raise ValueError(_("quantity {raw}: expected a number").format(raw=repr(raw))) from None
    if not qty.is_finite() or qty <= 0:
        raise ValueError(_("quantity {raw}: expected more than 0").format(raw=repr(raw)))
    return qty


def parse_birthday(value: Any) -> str:
    """``--0412``, ``--04-12``, ``1985-04-12``, ``19850412``, ``1985/4/12``, ``4月12日`` → kehu's
    ``YYYY-MM-DD`` or ``--MM-DD`` (year unknown)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return parse_date(value).isoformat()
    if isinstance(value, PhantomDay):
        raise ValueError(_("birthday 1900-02-29 (Excel's day 60): no such day, as 1900 was no leap "
                           "year (Excel counts it as one); expected a real date"))
    raw = text(value)
    if raw.startswith("1604-") or raw.startswith("0000-"):
        raw = "--" + raw[5:]  # iOS and some Androids write a year-less birthday with year 1604/0000
    compact = _COMPACT.match(raw)
    if compact:
        year, month, day = compact.groups()
        return check_birthday(f"{year if year != '--' else '-'}-{month}-{day}")
    match = _YMD.match(raw)
    if match and not _time_problem(match.groups()[3:]):
        year, month, day = match.groups()[:3]
        return check_birthday(f"{year}-{int(month):02d}-{int(day):02d}")
    md = _MD.match(raw)
    if md:
        return check_birthday(f"--{int(md.group(1)):02d}-{int(md.group(2)):02d}")
    raise ValueError(_("birthday {raw}: expected YYYY-MM-DD, --MM-DD or --MMDD").format(raw=repr(raw)))


_TRUE = {"1", "true", "yes", "y", "是", "已付", "已付款", "已结", "已结清", "paid"}
_FALSE = {"0", "false", "no", "n", "否", "未付", "未付款", "欠款", "赊账", "unpaid"}


def parse_bool(value: Any) -> bool:
    raw = text(value).lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(_("{raw}: expected yes/no (是/否, 已付/未付)").format(raw=repr(raw)))
