"""Customer sheets: .xlsx (openpyxl) and .csv in UTF-8, UTF-8 with BOM or GBK/GB18030.

Shops keep one row per transaction (交易日期, 顾客ID, 真实姓名, 电子邮箱, 联系电话, 收货地址, 购买商品,
成交金额, 购物赠品, 会员级别); each row becomes a contact with one purchase, and the merge step folds
rows of the same customer (same 顾客ID, phone or email) into one customer with several purchases.

Headers are matched, after trimming spaces and case, against the table below and then against
``import_columns`` in kehu.yaml, which wins::

    import_columns:
      手机号码: phones          # any customer field
      下单时间: purchase.date   # purchase.date|item|qty|price|amount|gifts|paid|due|payments|by|text
      微信: wechat              # a field kehu does not know: kept under that name
      内部编号: ignore          # not imported

A column that maps to nothing is kept in the record under ``import_extra`` and named in the
summary. The header row is the first of the first ten rows with two or more known headers, so a
title row above it ("2024年客户消费明细") is skipped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...computed_fields import column_key
from ...errors import Problem
from ...i18n import _
from ...models.typed_lists import typed_addresses
from ...plugins import ImportedContact
from . import values
from .base import FileProblem, RowProblem, RowWarning, one_field_twice
from .encodings import EncodingProblem
from .limits import LineTooLong, Refused, check_xlsx
from .purchase_cells import purchase_of
from .sheet_tables import csv_rows, readable, xlsx_tables
from .values import (
    ERROR_VALUES,
    CellError,
    phone_cell,
    split_list,
    text,
)
from .workbook_scan import cells_as_shown, uncalculated_formula

if TYPE_CHECKING:
    from ...store import Store

PURCHASE_TARGETS = ("date", "item", "qty", "price", "amount", "gifts", "paid", "due", "payments", "by", "text")
LIST_FIELDS = {"phones", "emails", "tags", "interests"}

_DEFAULTS: dict[str, tuple[str, ...]] = {
    "purchase.date": ("交易日期", "日期", "购买日期", "下单日期", "下单时间", "成交日期", "消费日期",
                      "date", "purchasedate", "orderdate", "transactiondate"),
    "id": ("顾客id", "客户id", "客户编号", "顾客编号", "会员号", "会员编号", "会员卡号", "customerid"),
    "name": ("真实姓名", "姓名", "客户姓名", "顾客姓名", "名字", "客户名称", "fullname", "customer",
             "customername"),
    "emails": ("电子邮箱", "邮箱", "电子邮件", "email", "e-mail", "mail", "emailaddress"),
    "phones": ("联系电话", "电话", "手机", "手机号", "手机号码", "电话号码", "phone", "mobile", "tel",
               "telephone", "phonenumber"),
    "addresses": ("收货地址", "地址", "联系地址", "送货地址", "address"),
    "purchase.item": ("购买商品", "商品", "商品名称", "产品", "产品名称", "item", "items", "product"),
    "purchase.qty": ("数量", "购买数量", "qty", "quantity"),
    "purchase.price": ("单价", "price", "unitprice"),
    "purchase.amount": ("成交金额", "金额", "实付金额", "订单金额", "消费金额", "总金额", "amount", "total"),
    "purchase.gifts": ("购物赠品", "赠品", "gift", "gifts"),
    "purchase.paid": ("是否付款", "付款状态", "已付款", "paid"),
    "purchase.due": ("应付日期", "付款期限", "到期日", "due"),
    "purchase.payments": ("付款记录", "payments"),
    "purchase.by": ("经手人", "销售员", "soldby"),
    "level": ("会员级别", "会员等级", "等级", "memberlevel"),
    "birthday": ("生日", "出生日期", "dateofbirth", "dob"),
    "lunar_birthday": ("农历生日",),
    "organization": ("公司", "单位", "公司名称", "company"),
    "title": ("职位", "职务", "jobtitle"),
    "nickname": ("昵称",),
    "tags": ("标签", "分组", "tag"),
    "notes": ("备注", "note"),
    "owner": ("负责人", "业务员", "客户经理", "rep"),
}


_key = column_key  # the one spelling rule: computed_fields.spelled_as_field_messages asks it too


def column_map(store: Store) -> dict[str, str]:
    """Normalised header → target, defaults overridden by kehu.yaml ``import_columns``."""
    mapping = {_key(field): field for field in store.customer_model.model_fields}
    for target, headers in _DEFAULTS.items():
        for header in headers:
            mapping[_key(header)] = target
    for header, target in (store.config.import_columns or {}).items():
        mapping[_key(str(header))] = str(target).strip()
    return mapping


def column_problems(store: Store) -> list[Problem]:
    """``import_columns`` in kehu.yaml naming a purchase field there is none of: every sheet's
    import is refused for it, and `kehu check` says so (it said ok)."""
    bad = [f"{h} → {t}" for h, t in (store.config.import_columns or {}).items()
           if str(t).startswith("purchase.") and str(t).split(".", 1)[1] not in PURCHASE_TARGETS]
    if not bad:
        return []
    from ...yamlio import YamlFileError, line_of, load_roundtrip

    path = store.root / "kehu.yaml"
    try:
        line = line_of(load_roundtrip(path), ["import_columns"])
    except YamlFileError:
        line = 1
    return [Problem(path, line, f"import_columns: unknown purchase field in {', '.join(bad)}; expected "
                                f"purchase.{{{','.join(PURCHASE_TARGETS)}}}")]


class SheetImporter:
    name = "sheet"
    suffixes = (".xlsx", ".xlsm", ".csv")

    def detect(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() in self.suffixes

    def read(self, path: Path, store: Store) -> Iterator[ImportedContact | RowProblem]:
        mapping = column_map(store)
        for problem in column_problems(store):
            yield RowProblem(f"{problem.path}:{problem.line}", problem.message)
            return
        is_xlsx = path.suffix.lower() in (".xlsx", ".xlsm")
        if is_xlsx:
            try:  # before calamine or openpyxl unpack anything: a zip bomb is refused here
                check_xlsx(path, store.config.import_limits)
            except Refused as exc:
                yield RowProblem(f"{path}:1", str(exc))
                return
            # a formula nobody calculated reads as an empty cell: its value was lost, exit 0
            if (uncalculated := uncalculated_formula(path)) is not None:
                yield FileProblem(f"{path}:1", uncalculated)
                return
        tables = (xlsx_tables(path, cells_as_shown(path)) if is_xlsx
                  else [(str(path), None, csv_rows(path, lambda cell: _key(text(cell)) in mapping))])
        for label, sheet, rows in tables:
            yield from _read_table(label, readable(rows) if is_xlsx else rows, mapping, sheet)


def _read_table(label: str, rows: Iterable[tuple[int, list[Any]]], mapping: dict[str, str],
                sheet: str | None = None) -> Iterator[ImportedContact | RowProblem]:
    """A table's contacts (``sheet``: its name in a workbook, None for a CSV)."""
    buffered: list[tuple[int, list[Any]]] = []
    iterator = iter(rows)
    try:
        for number, row in iterator:
            buffered.append((number, row))
            if len(buffered) >= 10:
                break
    except ValueError as exc:  # an EncodingProblem knows its line
        yield _problem(label, exc)
        return
    header_at = None
    for pos, (_line, row) in enumerate(buffered):
        known = sum(1 for cell in row if _key(text(cell)) in mapping)
        if known >= 2:
            header_at = pos
            break
    if header_at is None:
        header_at = next((p for p, (_, r) in enumerate(buffered) if any(text(c) for c in r)), None)
    if header_at is None:
        yield RowProblem(f"{label}:1", "empty sheet: no header row")
        return
    header_line, header_cells = buffered[header_at]
    # a heading that is no name (a number, a date, NaN, an error value) names no column: kept
    # out of the header, and said where it is (see :func:`_no_heading`)
    unnamed = {pos: why for pos, cell in enumerate(header_cells) if (why := _heading_problem(cell)) is not None}
    header = ["" if pos in unnamed else text(cell) for pos, cell in enumerate(header_cells)]
    targets = [mapping.get(_key(h)) if h else None for h in header]
    twice = one_field_twice(header, targets, LIST_FIELDS | {"addresses", "ignore"})
    if twice is not None:
        yield FileProblem(f"{label}:{header_line}", twice)
        return
    body = buffered[header_at + 1:]

    def all_rows() -> Iterator[tuple[int, list[Any]]]:
        yield from body
        yield from iterator

    def where(number: int) -> Callable[[int], str]:
        return lambda pos: cell_place(sheet, pos, number, header[pos] if pos < len(header) else "")

    keys = values.row_keys(header_cells)
    try:
        for number, row in all_rows():
            if not any(text(cell) for cell in row) or values.row_keys(row) == keys:
                # the header again (two sheets joined, `cat a.csv b.csv`, rows pasted under each
                # other) is no customer: it was imported as one named 姓名, exit 0
                continue
            source = f"{label}:{number}"
            if (lost := _under_no_heading(row, header)) is not None:
                yield FileProblem(source, _no_heading(sheet, header_line, lost, unnamed.get(lost), number))
                return
            try:
                yield contact_from_row(header, targets, row, source, where(number))
            except ValueError as exc:
                yield RowProblem(source, str(exc))
    except ValueError as exc:  # the reader's own (CsvProblem, EncodingProblem): the rest is unread
        yield _problem(label, exc)
        return
    for pos, why in unnamed.items():  # each one's column empty: left out, and said so
        yield RowWarning(f"{label}:{header_line}", _(
            "{place}: a column heading must be text, and this one holds {what}; its column is empty, so it was "
            "left out").format(place=cell_place(sheet, pos, header_line, ""), what=why))


def _heading_problem(cell: Any) -> str | None:
    """What a header row's cell holds that is no column's name (None: a name, or nothing):
    NaN or an infinity, a yes/no value, one of Excel's error values (``#N/A``), in an .xlsx as
    the cell's kind; in a CSV, the text of an error value or of NaN. Such a cell became a column
    named ``nan`` or ``#N/A``, its values kept under that name. A number or a date (a year's
    column, ``2024``; a day's) is a heading as the sheet shows it: a person reads it so."""
    if cell is None or isinstance(cell, str) and not text(cell):
        return None
    shown = text(cell)
    if isinstance(cell, CellError) or isinstance(cell, str) and shown.upper() in ERROR_VALUES:
        return _("the error value {value}").format(value=shown)
    number = _number_of(shown) if isinstance(cell, str) else cell
    if isinstance(number, float) and not math.isfinite(number):
        return _("no number (NaN or an infinity)")
    if isinstance(cell, bool):
        return _("the yes/no value {value}").format(value=shown)
    if isinstance(number, (int, float)) or isinstance(cell, (str, dt.date)):
        return None
    return _("the value {value}").format(value=shown)


def _number_of(shown: str) -> float | None:
    try:
        return float(shown)
    except ValueError:
        return None


def _under_no_heading(row: list[Any], header: list[str]) -> int | None:
    """The first of ``row``'s cells holding a value in a column without a heading (none in the
    header row, or one :func:`_heading_problem` refuses: ``""`` in ``header``), or None."""
    if len(row) > len(header) or "" in header:
        for pos, cell in enumerate(row):
            if (pos >= len(header) or not header[pos]) and text(cell):
                return pos
    return None


def _no_heading(sheet: str | None, header_line: int, pos: int, why: str | None, number: int) -> str:
    """Why a sheet is refused whose row ``number`` holds a value in column ``pos``, which has no
    heading (``why``: what its header cell holds instead, None: nothing). Its values were kept as
    a field named ``nan`` or ``column 3``, which no one could tell from the sheet's own."""
    heading = cell_place(sheet, pos, header_line, "")
    value = cell_place(sheet, pos, number, "").rsplit(" ", 1)[1] if sheet is not None else _("its line {line}").format(
        line=number)
    if why is None:
        return _("{heading}: the column has no heading, but {value} holds a value; give the column a text heading "
                 "and import again").format(heading=heading, value=value)
    return _("{heading}: a column heading must be text, and this one holds {what}, but {value} holds a value; "
             "give the column a text heading and import again").format(heading=heading, what=why, value=value)


def cell_place(sheet: str | None, pos: int, number: int, heading: str) -> str:
    """Where a table's cell is, as its reader finds it: ``sheet 'Sheet1' cell D7 (成交金额)`` in a
    workbook; ``column D (成交金额)`` in a CSV (whose line the message's source names: a
    spreadsheet numbers its rows otherwise where a cell above holds a line break). The one
    spelling of a sheet's place in the import's messages."""
    letters = ""
    column = pos + 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    place = (_("column {column}").format(column=letters) if sheet is None
             else _("sheet {sheet} cell {cell}").format(sheet=repr(sheet), cell=f"{letters}{number}"))
    return f"{place} ({heading})" if heading else place


def _problem(label: str, exc: ValueError) -> RowProblem:
    """The reader's own problem at its line; a line too long or in no encoding refuses the file."""
    whole = isinstance(exc, (EncodingProblem, LineTooLong))
    return (FileProblem if whole else RowProblem)(f"{label}:{getattr(exc, 'line', 1)}", str(exc))


def _cell(value: Any) -> Any:
    # A leading apostrophe is Excel's "this is text" mark, and what kehu's CSV export puts
    # before +86... and =... to keep a spreadsheet from running them.
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("'") and len(value) > 1:
            value = value[1:]
    return value


def contact_from_row(header: list[str], targets: list[str | None], row: list[Any], source: str,
                     where: Callable[[int], str] | None = None) -> ImportedContact:
    """The contact a row makes; a ValueError naming the cell if a value is wrong (``where``: a
    column's place in this row, :func:`cell_place`; its heading alone without it)."""
    fields: dict[str, Any] = {}
    purchase: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    places: dict[str, str] = {}

    def place(pos: int) -> str:
        if where is not None:
            return where(pos)
        return (header[pos] if pos < len(header) else "") or f"column {pos + 1}"

    for pos, raw in enumerate(row):
        value = _cell(raw)
        target = targets[pos] if pos < len(targets) else None
        if target != "ignore":
            if isinstance(value, float) and not math.isfinite(value):
                # NaN or an infinity a script wrote (openpyxl writes them as an empty value, read as
                # NaN by workbook_scan.cells_as_shown): no number, refused as a CSV's NaN is; it was lost
                raise ValueError(_("{column}: a number cell holding no number (NaN, an infinity or text, as a "
                                   "script or another system writes them); expected a number").format(
                    column=place(pos)))
            if isinstance(value, CellError):  # a formula that failed: its value is not in the sheet
                raise ValueError(_("{column}: the error value {value} (a formula that failed); expected a "
                                   "value").format(column=place(pos), value=value))
        if text(value) == "":
            continue
        column = header[pos] if pos < len(header) else ""
        if target is None:
            extra[column or f"column {pos + 1}"] = text(value)
        elif target == "ignore":
            continue
        elif target.startswith("purchase."):
            purchase[target.split(".", 1)[1]] = (place(pos), value)
            places.setdefault(target, place(pos))  # a problem of the sale found later (matching)
        elif target == "phones":
            places.setdefault(target, place(pos))
            try:
                fields.setdefault(target, []).extend(phone_cell(p) for p in split_list(text(value)))
            except ValueError as exc:
                raise ValueError(f"{place(pos)}: {exc}") from None
        else:
            places.setdefault(target, place(pos))
            if target in LIST_FIELDS:
                fields.setdefault(target, []).extend(split_list(text(value)))
            elif target == "addresses":
                fields.setdefault(target, []).extend(typed_addresses(text(value)))
            elif target == "birthday":
                fields[target] = value  # a date cell, or text the merge step reads
            else:
                fields[target] = text(value)
    purchases = [purchase_of(purchase)] if purchase else []
    if not fields.get("name") and not any(fields.get(k) for k in ("id", "phones", "emails")):
        raise ValueError(_("row has no name, customer id, phone or email"))
    return ImportedContact(source=source, fields=fields, purchases=purchases, extra=extra, places=places)
