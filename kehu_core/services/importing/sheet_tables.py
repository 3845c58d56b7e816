"""A customer sheet's rows, as :mod:`.sheet` reads them into contacts: an .xlsx workbook's
sheets (calamine, else openpyxl, each number cell as the sheet shows it and Excel's phantom
day 1900-02-29 told apart) and a CSV's lines (measured and decoded as they are parsed,
:class:`.csvstream.CsvText`). Each row is ``(its line, its cells)``, its line counted from
the first row of the file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import math
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ...i18n import _
from .csvstream import CsvText
from .encodings import is_binary
from .limits import capped_row, refuse_long_lines
from .values import CellError, PhantomDay
from .workbook_scan import DENSE_CELLS, sheet_cells


def xlsx_tables(path: Path, numberless: dict[str, dict[tuple[int, int], Any]] | None = None
                 ) -> list[tuple[str, str | None, Iterable[tuple[int, list[Any]]]]]:
    """The sheets' rows through calamine (Rust: 0.1 s for 10 000 rows where openpyxl takes
    1.6 s); a workbook calamine cannot read goes to openpyxl, whose errors say more, and so
    does one whose sheets span more cells than calamine should lay out (:data:`DENSE_CELLS`).
    A number cell read otherwise than the sheet shows it is what ``numberless`` says it is
    (:func:`workbook_scan.cells_as_shown`: NaN for no number, the digits of an id with its zeros).
    Each table: its label in messages (the file, and the sheet's name where there are several),
    the sheet's name, its rows."""
    numberless = numberless or {}
    try:
        if sheet_cells(path) > DENSE_CELLS:
            return openpyxl_tables(path, numberless)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        return openpyxl_tables(path, numberless)  # no zip: openpyxl says what it is
    try:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(path))
        names = book.sheet_names
        # skip_empty_area=False: rows keep their numbers from A1, so problems name the right line
        tables = [book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in names]
    except Exception:  # ImportError, CalamineError, a zip that is no workbook ...
        return openpyxl_tables(path, numberless)
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
    """``rows`` with each of ``cells`` as it says (:func:`workbook_scan.cells_as_shown`): a number cell
    holding no number NaN, which :func:`.sheet.contact_from_row` refuses (its readers give it as empty,
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
    calamine does: the float Python reads, or NaN, which :func:`.sheet.contact_from_row` refuses naming
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


def openpyxl_tables(path: Path, numberless: dict[str, dict[tuple[int, int], Any]] | None = None
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


def readable(rows: Iterable[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
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


def csv_rows(path: Path, known: Callable[[str], bool] | None = None) -> Iterator[tuple[int, list[Any]]]:
    """A CSV's rows; ``known``: whether a header cell names a column the reader knows, by which
    the separator is told (:func:`separator`)."""
    with path.open("rb") as handle:
        binary = is_binary(handle.read(8192))
    if binary:
        refuse_long_lines(path)  # a line too long is named first, as it is in any other file
        raise ValueError(_("binary file (contains NUL bytes); expected a CSV text file or an .xlsx"))
    with CsvText(path) as lines:  # one pass: measured and decoded as it is parsed
        try:
            yield from _csv_lines(iter(lines), known)
        except ValueError as exc:  # reading stops here: a line too long further on is named first
            refused = lines.refusal(exc)
            if refused is exc:
                raise
            raise refused from None


#: the separators a CSV is read with: Excel writes ``;`` where the list separator of the
#: system's language is one (German, French ...), and "Unicode text" and others tabs
SEPARATORS = ",;\t"


def separator(sample: str, known: Callable[[str], bool] | None = None) -> Any:
    """The csv dialect of a CSV whose first 4 KB are ``sample``. Told from its header first: the
    separator by which a row of the first ten holds the most headings ``known`` knows (two at
    least). Else csv's Sniffer; else the separator that cuts the first line into the most cells.
    The Sniffer alone, counting separators line by line, took a file whose cells hold line
    breaks (an address on two lines) or whose heading holds a comma (``金额(元,含税)``) for a
    comma's, its header read as one column: every row "has no name, customer id, phone or email"."""
    try:
        sniffed: Any = csv.Sniffer().sniff(sample, delimiters=SEPARATORS)
    except csv.Error:
        sniffed = None
    if known is not None:
        found = {sep: _known_headings(sample, sep, known) for sep in SEPARATORS}
        best = max(found.values())
        if best >= 2:
            if sniffed is not None and found.get(sniffed.delimiter) == best:
                return sniffed
            return _with_separator(next(sep for sep in SEPARATORS if found[sep] == best))
    if sniffed is not None:
        return sniffed
    first = next((line for line in io.StringIO(sample, newline=None) if line.strip()), "")
    cells = {sep: len(_parsed(first, sep)[0]) if first else 0 for sep in SEPARATORS}
    most = max(cells.values())
    return _with_separator(next(sep for sep in SEPARATORS if cells[sep] == most)) if most > 1 else csv.excel


def _known_headings(sample: str, sep: str, known: Callable[[str], bool]) -> int:
    """The most headings ``known`` knows in a row of the first ten of ``sample`` read with ``sep``."""
    return max((sum(1 for cell in row if known(cell)) for row in _parsed(sample, sep)[:10]), default=0)


def _parsed(sample: str, sep: str) -> list[list[str]]:
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(sample, newline=""), _with_separator(sep))
    try:
        for row in reader:
            rows.append(row)
            if len(rows) >= 10:
                break
    except csv.Error:  # the sample cut inside a quoted cell, or a cell over the csv module's limit
        pass
    return rows


def _with_separator(sep: str) -> type[csv.Dialect]:
    return csv.excel_tab if sep == "\t" else type("separated", (csv.excel,), {"delimiter": sep})


def _csv_lines(lines: Iterator[str], known: Callable[[str], bool] | None = None) -> Iterator[tuple[int, list[Any]]]:
    ahead: list[str] = []  # the first 4 KB, for the sniffer, then read again from here
    for line in lines:
        ahead.append(line)
        if sum(map(len, ahead)) >= 4096:
            break
    dialect = separator("".join(ahead)[:4096], known)
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
    """A line the csv reader cannot read, with its number (as :class:`.encodings.EncodingProblem`)."""

    def __init__(self, line: int, exc: Exception) -> None:
        self.line = line
        super().__init__(_("cannot read this line of the CSV: {exc}").format(exc=exc))
