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

import csv
import datetime as dt
import itertools
import math
import zipfile
import zlib
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
from .csvstream import CsvText
from .encodings import EncodingProblem, is_binary
from .limits import (
    DENSE_CELLS,
    LineTooLong,
    Refused,
    capped_row,
    cells_as_shown,
    check_xlsx,
    refuse_long_lines,
    sheet_cells,
    uncalculated_formula,
)
from .purchase_cells import purchase_of
from .values import (
    ERROR_VALUES,
    CellError,
    PhantomDay,
    phone_cell,
    split_list,
    text,
)

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
        tables = _xlsx_tables(path, cells_as_shown(path)) if is_xlsx else [(str(path), None, _csv_rows(path))]
        for label, sheet, rows in tables:
            yield from _read_table(label, _readable(rows) if is_xlsx else rows, mapping, sheet)


def _xlsx_tables(path: Path, numberless: dict[str, dict[tuple[int, int], Any]] | None = None
                 ) -> list[tuple[str, str | None, Iterable[tuple[int, list[Any]]]]]:
    """The sheets' rows through calamine (Rust: 0.1 s for 10 000 rows where openpyxl takes
    1.6 s); a workbook calamine cannot read goes to openpyxl, whose errors say more, and so
    does one whose sheets span more cells than calamine should lay out (:data:`DENSE_CELLS`).
    A number cell read otherwise than the sheet shows it is what ``numberless`` says it is
    (:func:`limits.cells_as_shown`: NaN for no number, the digits of an id with its zeros).
    Each table: its label in messages (the file, and the sheet's name where there are several),
    the sheet's name, its rows."""
    numberless = numberless or {}
    try:
        if sheet_cells(path) > DENSE_CELLS:
            return _openpyxl_tables(path, numberless)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        return _openpyxl_tables(path, numberless)  # no zip: openpyxl says what it is
    try:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(path))
        names = book.sheet_names
        # skip_empty_area=False: rows keep their numbers from A1, so problems name the right line
        tables = [book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in names]
    except Exception:  # ImportError, CalamineError, a zip that is no workbook ...
        return _openpyxl_tables(path, numberless)
    return [
        (str(path) if len(names) == 1 else f"{path}[{name}]", name,
         no_phantom_day(path, name, _as_shown(
             ((n, [None if cell == "" else cell for cell in capped_row(n, row)]) for n, row in enumerate(rows, 1)),
             numberless.get(name, {}))))
        for name, rows in zip(names, tables, strict=True)
    ]


#: the day openpyxl and calamine give both Excel's serial 59 (1900-02-28) and 60 (1900-02-29)
_DAY_59 = dt.date(1900, 2, 28)


def no_phantom_day(path: Path, sheet: str, rows: Iterable[tuple[int, list[Any]]]
                   ) -> Iterator[tuple[int, list[Any]]]:
    """``rows`` with each cell of Excel's serial day 60 as :class:`PhantomDay`. A cell read as
    1900-02-28 may be either serial; only then is the sheet read again, its numbers raw, to
    tell which (a sheet holds such a day almost never, so no other import pays for it)."""
    phantom: set[tuple[int, int]] | None = None
    for number, row in rows:
        for pos, cell in enumerate(row):
            if isinstance(cell, dt.date) and (cell.date() if isinstance(cell, dt.datetime) else cell) == _DAY_59:
                if phantom is None:
                    phantom = _serial_60_cells(path, sheet)
                if (number, pos) in phantom:
                    row[pos] = PhantomDay()
        yield number, row


def _serial_60_cells(path: Path, sheet: str) -> set[tuple[int, int]]:
    """Where ``sheet`` holds a number from 60 to under 61 (row from 1, column from 0), in a
    workbook of Excel's 1900 calendar (in the 1904 one, day 60 is 1904-03-01)."""
    from openpyxl import load_workbook
    from openpyxl.utils.datetime import WINDOWS_EPOCH

    _openpyxl_reads_any_number()
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        if book.epoch != WINDOWS_EPOCH:
            return set()
        book._date_formats = set()  # openpyxl's own: with no date formats it gives the serials
        return {(cell.row, cell.column - 1) for row in book[sheet].iter_rows() for cell in row
                if type(cell.value) in (int, float) and 60 <= cell.value < 61}
    finally:
        book.close()


def _as_shown(rows: Iterable[tuple[int, list[Any]]], cells: dict[tuple[int, int], Any]
              ) -> Iterator[tuple[int, list[Any]]]:
    """``rows`` with each of ``cells`` as it says (:func:`limits.cells_as_shown`): a number cell
    holding no number NaN, which :func:`contact_from_row` refuses (its readers give it as empty,
    and its value was lost), one of zeros or a percentage the text the sheet shows."""
    if not cells:
        yield from rows
        return
    by_row: dict[int, list[tuple[int, Any]]] = {}
    for (at, pos), value in cells.items():
        by_row.setdefault(at, []).append((pos, value))
    for number, row in rows:
        for pos, value in by_row.get(number, ()):
            if pos >= len(row):
                row.extend([None] * (pos + 1 - len(row)))
            if (value != value or isinstance(value, CellError)
                    or isinstance(row[pos], (int, float)) and not isinstance(row[pos], bool)):
                row[pos] = value  # NaN, an error value, or the number the sheet shows otherwise
        yield number, row


def _number_or_nan(value: str) -> int | float:
    """A number cell's text as openpyxl reads it (``12`` an int, ``1.5`` a float), and one that
    is no number it can read (``NaN``, ``inf``, ``abc``: a web system's or a script's export) as
    calamine does: the float Python reads, or NaN, which :func:`contact_from_row` refuses naming
    its column. openpyxl raised on it as the rows were read ("FILE:1: invalid literal for int()
    with base 10: 'abc'"), every row of the sheet unread and neither row nor column named."""
    try:
        return _OPENPYXL_NUMBER(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return math.nan


_OPENPYXL_NUMBER: Any = None


def _openpyxl_reads_any_number() -> None:
    """openpyxl's reader of a number cell's text (its module's own ``_cast_number``, asked as
    each cell is read) is :func:`_number_or_nan`, once for the process."""
    global _OPENPYXL_NUMBER
    from openpyxl.worksheet import _reader

    if _reader._cast_number is not _number_or_nan:
        _OPENPYXL_NUMBER = _reader._cast_number
        _reader._cast_number = _number_or_nan


def _openpyxl_tables(path: Path, numberless: dict[str, dict[tuple[int, int], Any]] | None = None
                     ) -> list[tuple[str, str | None, Iterable[tuple[int, list[Any]]]]]:
    from openpyxl import load_workbook

    _openpyxl_reads_any_number()
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        return [(str(path), None, _broken(_unreadable(exc)))]
    sheets = book.worksheets
    out = []
    for sheet in sheets:
        # rows as they are in the file, not padded to the <dimension> the writer states (a lie
        # of A1:XFD1048576 padded every row to 16 384 cells and the sheet to a million rows)
        sheet.reset_dimensions()
        label = str(path) if len(sheets) == 1 else f"{path}[{sheet.title}]"
        rows = ((n, capped_row(n, list(r))) for n, r in enumerate(sheet.iter_rows(values_only=True), 1))
        rows = _as_shown(rows, (numberless or {}).get(sheet.title, {}))
        out.append((label, sheet.title, no_phantom_day(path, sheet.title, rows)))
    return out


def _unreadable(exc: Exception) -> str:
    return _("not a readable .xlsx workbook ({error})").format(error=f"{type(exc).__name__}: {exc}")


def _readable(rows: Iterable[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    """A workbook's rows, a part its reader finds broken on the way said as the file's problem:
    openpyxl reads a sheet's XML as the rows are asked for, and a tag left open (``<row><c
    </row>``) ended `kehu import` in "internal error: ParseError" past the rows before it."""
    try:
        yield from rows
    except ValueError:  # the readers' own problems (a cell too long, a line): said as they are
        raise
    except Exception as exc:  # ParseError, a broken zip entry
        raise ValueError(_unreadable(exc)) from None


def _broken(message: str) -> Iterator[tuple[int, list[Any]]]:
    raise ValueError(message)
    yield  # pragma: no cover - makes this a generator


def _csv_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    with path.open("rb") as handle:
        binary = is_binary(handle.read(8192))
    if binary:
        refuse_long_lines(path)  # a line too long is named first, as it is in any other file
        raise ValueError(_("binary file (contains NUL bytes); expected a CSV text file or an .xlsx"))
    with CsvText(path) as lines:  # one pass: measured and decoded as it is parsed
        try:
            yield from _csv_lines(iter(lines))
        except ValueError as exc:  # reading stops here: a line too long further on is named first
            refused = lines.refusal(exc)
            if refused is exc:
                raise
            raise refused from None


def _csv_lines(lines: Iterator[str]) -> Iterator[tuple[int, list[Any]]]:
    ahead: list[str] = []  # the first 4 KB, for the sniffer, then read again from here
    for line in lines:
        ahead.append(line)
        if sum(map(len, ahead)) >= 4096:
            break
    try:
        dialect: Any = csv.Sniffer().sniff("".join(ahead)[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(itertools.chain(ahead, lines), dialect)
    start = 1
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:  # a cell over the csv module's 128 KB, a quote never closed
            raise CsvProblem(start, exc) from None
        if row:  # a blank line is no row (60 MB of them took 90 s passed on one by one)
            yield start, capped_row(start, row)  # a million one-letter cells: refused, the rest unread
        start = reader.line_num + 1


class CsvProblem(ValueError):
    """A line the csv reader cannot read, with its number (as :class:`EncodingProblem`)."""

    def __init__(self, line: int, exc: Exception) -> None:
        self.line = line
        super().__init__(_("cannot read this line of the CSV: {exc}").format(exc=exc))


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
                # NaN by limits.cells_as_shown): no number, refused as a CSV's NaN is; it was lost
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
