"""``kehu export``: customers (and purchases) to CSV, xlsx, vCard 3.0 and iCalendar.

Exporters are ``Exporter`` objects (:mod:`kehu_core.plugins`: ``name`` and
``write(store, customers, out) -> count``); the built-in ones are listed here and plugins add
more through the ``exporters`` hook (a plugin's exporter with a built-in name replaces it).
The CSV and xlsx exporters also take ``what="purchases"``.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (CSV
injection). In CSV such a cell gets a leading apostrophe, Excel's own "this is text" mark,
which ``kehu import`` strips again; phone numbers (``'+8613912345678``) stay readable and
dialable. In xlsx every text cell is written as a string cell with Excel's quote prefix, so
``=1+1`` is shown as text and never evaluated, and ``+86...`` needs no apostrophe at all.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import KehuError
from ..i18n import _
from ..models import Customer
from ..models.hostile import too_many_digits
from ..plugin_code import error_text, never_awaited, plugin_code, stops_kehu
from .contentlines import write_calendar
from .day_events import birthday_events, reminder_event
from .export_source import Chosen
from .export_tables import kept_apostrophe, neutralise, table
from .export_targets import check_target, shared_note, write_target  # noqa: F401 - shared_note: for plugins (reminders)
from .vcards import vcard_of

if TYPE_CHECKING:
    from ..plugins import Exporter
    from ..store import Store
# --- exporters ------------------------------------------------------------------------------


class CsvExporter:
    """UTF-8 with BOM (so Excel opens Chinese correctly), CRLF line ends; each row written as it
    is read from the index (:class:`.export_source.Chosen`)."""

    name = "csv"

    def write(self, store: Store, customers: Iterable[Customer], out: Path, what: str = "customers") -> int:
        header, rows = table(store, customers, what)
        count = 0
        with out.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow([neutralise(str(h)) for h in header])  # field names are data too
            for row in rows:
                writer.writerow([neutralise(_csv_text(v)) for v in row])
                count += 1
        return count


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class XlsxExporter:
    """A workbook written as its rows are read (openpyxl's write-only sheet): a sheet kept
    whole took 5-6 KB a customer, and asking it for its last row at each cell (``max_row``,
    a pass over every cell) took 27 s for 1 255 customers and did not end for 10 000."""

    name = "xlsx"

    def write(self, store: Store, customers: Iterable[Customer], out: Path, what: str = "customers") -> int:
        from openpyxl import Workbook
        from openpyxl.utils import get_column_letter

        header, rows = table(store, customers, what)
        if len(header) > XLSX_COLUMNS:  # Excel opens a sheet past its last column or row as damaged
            raise _too_big(len(header), _("columns (fields)"), XLSX_COLUMNS)
        book = Workbook(write_only=True)
        sheet = book.create_sheet("顾客" if what == "customers" else "消费明细")
        sheet.freeze_panes = "A2"
        for col, title in enumerate(header, 1):
            sheet.column_dimensions[get_column_letter(col)].width = max(10, min(40, len(title) * 2 + 4))
        try:
            return self._rows(book, sheet, header, rows, out)
        except BaseException:
            _closed_quietly(sheet)
            raise

    def _rows(self, book: Any, sheet: Any, header: list[str], rows: Iterator[list[Any]], out: Path) -> int:
        from openpyxl.cell import WriteOnlyCell

        _sheet_beside(sheet, out)

        def cells(values: list[Any]) -> list[Any]:
            row = []
            for value in values:
                cell = WriteOnlyCell(sheet)
                _set_cell(cell, value)
                row.append(cell)
            return row

        sheet.append(cells([str(title) for title in header]))  # field names (extra, plugins') are data too
        count = 0
        for values in rows:
            count += 1
            if count + 1 > XLSX_ROWS:
                raise _too_big(count + 1 + sum(1 for _row in rows), _("rows"), XLSX_ROWS)
            for col, value in enumerate(values):
                if isinstance(value, str) and len(value) > XLSX_CELL_CHARS:
                    raise KehuError(_(
                        "{who}: {field} is {count} characters, and an xlsx cell holds at most {most} (Excel "
                        "cuts the rest, or calls the workbook damaged); nothing was written: export as CSV, "
                        "which has no such limit").format(
                        who=values[0], field=header[col], count=len(value), most=XLSX_CELL_CHARS))
            sheet.append(cells(values))
        _save_workbook(book, out)
        return count


def _sheet_beside(sheet: Any, out: Path) -> None:
    """The sheet's rows written into a file beside ``out`` (in the export's own held folder,
    removed with it, or by the next export after a kill: ``export_targets.write_target``), not
    openpyxl's ``/tmp/openpyxl.*``, which a killed export left for good, every customer's name
    and phone in it."""
    from openpyxl.worksheet._writer import ALL_TEMP_FILES, WorksheetWriter

    path = str(out.with_name(out.name + ".sheet.xml"))
    sheet._writer = WorksheetWriter(sheet, out=path)
    ALL_TEMP_FILES.append(path)  # (openpyxl takes it off its list as it removes it)
    sheet._writer.write_top()


def _closed_quietly(sheet: Any) -> None:
    """The write-only sheet's writers (generators) ended now, what they fail at ignored: left to
    Python after a failure (a full disk, a cell too long), each failed again as it was collected,
    "Exception ignored in: <generator object WorksheetWriter.get_stream …>" and a traceback."""
    writer = getattr(sheet, "_writer", None)
    for generator in (getattr(sheet, "_rows", None), getattr(writer, "xf", None)):
        if generator is not None:
            with contextlib.suppress(Exception):
                generator.close()


def _too_big(count: int, what_is: str, most: int) -> KehuError:
    return KehuError(_(
        "this export has {count} {what}, and an xlsx sheet holds at most {most} (Excel calls the "
        "workbook damaged and drops the rest); nothing was written: export as CSV, which has no "
        "such limit").format(count=f"{count:,}", what=what_is, most=f"{most:,}"))


def _save_workbook(book: Any, out: Path) -> None:
    """openpyxl's ``Workbook.save``, its zip file closed when the save fails (a full disk):
    left open, Python closed it later, which failed again on the same full disk, "Exception
    ignored in: <function ZipFile.__del__ …>" and a traceback printed after kehu's message."""
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl.writer.excel import ExcelWriter

    archive = ZipFile(out, "w", ZIP_DEFLATED, allowZip64=True)
    try:
        ExcelWriter(book, archive).save()
    except BaseException:
        with contextlib.suppress(OSError, ValueError):  # the same full disk: the file is closed all the same
            archive.close()
        raise


#: the most characters Excel keeps in a cell (its specifications and limits); a note of a
#: record may be far longer (a record is at most 2 MiB)
XLSX_CELL_CHARS = 32_767
#: the columns (XFD) and rows of an Excel sheet: every field any customer holds is a column
XLSX_COLUMNS = 16_384
XLSX_ROWS = 1_048_576


def _set_cell(cell: Any, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, Decimal):
        cell.value = float(value)
        cell.number_format = "#,##0.00"
    elif isinstance(value, dt.date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.value = value
    else:
        cell.value = kept_apostrophe(str(value))
        # openpyxl makes any text starting with "=" a formula; a string cell with Excel's
        # quote prefix is shown as typed and never evaluated, even after the user edits it.
        cell.data_type = "s"
        cell.quotePrefix = True


class VCardExporter:
    """vCard 3.0, what iPhone and Android contacts import. kehu fields without a vCard
    property travel as ``X-KEHU-<FIELD>``, so an export imports back into kehu unchanged."""

    name = "vcard"

    def write(self, store: Store, customers: Iterable[Customer], out: Path) -> int:
        count = 0
        with out.open("w", encoding="utf-8", newline="") as handle:
            for customer in customers:
                handle.write(vcard_of(customer))
                count += 1
        return count


class IcsExporter:
    """Birthdays (solar as yearly events, lunar ones as dated events in this and the next two
    solar years) and the reminders due in the next 90 days."""

    name = "ics"
    reminder_days = 90
    lunar_years = 3

    def write(self, store: Store, customers: Iterable[Customer], out: Path) -> int:
        from icalendar import Calendar

        today = store.today
        calendar = Calendar()
        calendar.add("prodid", "-//kehu//customer birthdays and reminders//ZH")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", f"{store.config.name} — 客户生日与提醒")
        # DTSTAMP: when the calendar was made, on the store's day (time is data)
        stamp = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
        # each event written as it is made (contentlines.write_calendar), the reminders' as the
        # engine finds them, sorted in parts (reminder_sorting): the reminders gathered whole
        # were most of the export's 415 MB at 10 000 customers
        ids: set[str] = set()

        def events() -> Iterator[Any]:
            for customer in customers:
                ids.add(customer.id)
                for event in birthday_events(customer, today.year, today.year + self.lunar_years - 1):
                    event.add("dtstamp", stamp)
                    yield event
            for event in _reminder_events(store, ids, today, self.reminder_days):
                event.add("dtstamp", stamp)
                yield event

        with out.open("wb") as handle:
            count = write_calendar(handle, calendar, events())
        return count


def _reminder_events(store: Store, ids: set[str], today: dt.date, days: int) -> Iterator[Any]:
    try:
        from ..reminder_sorting import sorted_due
    except ImportError:  # the reminders engine is not installed: birthdays only
        return

    def wanted(reminder: Any) -> bool:  # birthdays are already there, as events of their own
        return reminder.customer_id in ids and reminder.rule not in ("birthday", "lunar-birthday")

    with sorted_due(store, today, today + dt.timedelta(days=days), keep=wanted) as found:
        for reminder in found:
            yield reminder_event(reminder)


# --- registry -------------------------------------------------------------------------------


def builtin_exporters() -> list[Exporter]:
    return [CsvExporter(), XlsxExporter(), VCardExporter(), IcsExporter()]


def available_exporters(store: Store) -> list[Exporter]:
    found: dict[str, Exporter] = {}
    plugin_ones = store.plugins.collect("exporters")
    for exporter in [*plugin_ones, *builtin_exporters()]:
        found.setdefault(exporter.name, exporter)
    return list(found.values())


def export(store: Store, fmt: str, out: Path, *, tag: str | None = None, what: str = "customers",
           segment: str | None = None, reveal: bool = False) -> int:
    """Write the customers (with ``tag``, in ``segment``) in format ``fmt`` to ``out``; returns
    rows/cards/events. ``out`` is checked first (:func:`check_target`) and written whole or
    not at all (:func:`write_target`). Confidential fields are left empty unless ``reveal``
    (then those the user's identity opens are written in plain: kehu_core.confidential)."""
    out = check_target(store, out, plain_secrets=reveal)
    exporters = {e.name: e for e in available_exporters(store)}
    if fmt not in exporters:
        raise KehuError(_("unknown export format {fmt}; expected one of {join}").format(
            fmt=repr(fmt), join=', '.join(exporters)))
    with store.index.one_pass():
        return _export(store, exporters[fmt], out, Chosen(store, tag=tag, segment=segment, reveal=reveal), what)


def _export(store: Store, exporter: Exporter, out: Path, chosen: Chosen, what: str) -> int:
    """The export's rows read (``chosen``) as each is written."""
    fmt = exporter.name
    if what != "customers":
        if fmt not in ("csv", "xlsx") or not isinstance(exporter, (CsvExporter, XlsxExporter)):
            raise KehuError(_("--what {what} is only for csv and xlsx").format(what=what))
        return write_target(out, lambda path: exporter.write(store, chosen, path, what=what))
    if not type(exporter).__module__.startswith("kehu_core."):
        customers: Iterable[Customer] = list(chosen)  # a plugin's exporter is given a list, as documented
        return write_target(out, _guarded(store, exporter, lambda path: exporter.write(store, customers, path)))
    return write_target(out, lambda path: exporter.write(store, chosen, path))


def _guarded(store: Store, exporter: Exporter, write: Callable[[Path], int]) -> Callable[[Path], int]:
    """A plugin's exporter that raises, or says it wrote something else than a number of rows,
    is named in one line and leaves the target as it was (:func:`write_target` writes a
    temporary file first); before, "internal error: RuntimeError ..." or "wrote lots rows".
    What it wrote through the store before failing is undone (``Store.undo_on_error``): the
    message says nothing was written, and a profile it changed stayed changed."""
    if type(exporter).__module__.startswith("kehu_core."):
        return write

    def guarded(path: Path) -> int:
        try:
            # (stdout_file: `export /dev/stdout` is the export's)
            with store.undo_on_error(), plugin_code(stdout_file=False, store=store):
                count = never_awaited(write(path))
                if isinstance(count, bool) or not isinstance(count, int):
                    raise _Miscounted(type(count).__name__)
                if count < 0 or too_many_digits(count):  # 5 000 digits: "internal error" as it was said
                    raise _Miscounted(_("a count below zero or of more than 18 digits"))
        except _Miscounted as exc:
            raise KehuError(_("the {name} exporter (a plugin's) gave {kind}, not how many it wrote; nothing "
                "was written").format(name=repr(exporter.name), kind=str(exc))) from None
        except BaseException as exc:
            if stops_kehu(exc):
                raise
            raise KehuError(_("the {name} exporter (a plugin's) failed: {error}; nothing was written").format(
                name=repr(exporter.name), error=error_text(exc))) from None
        return count

    return guarded


class _Miscounted(Exception):
    """A plugin's exporter said it wrote something else than a number of rows (str: its type)."""
