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
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import KehuError
from ..i18n import _
from ..models import Customer
from ..models.hostile import too_many_digits
from ..plugin_code import error_text, never_awaited, plugin_code, stops_kehu
from .contentlines import ical_bytes
from .day_events import birthday_events, reminder_event
from .export_tables import kept_apostrophe, neutralise, table
from .export_targets import check_target, shared_note, write_target  # noqa: F401 - shared_note: for plugins (reminders)
from .vcards import vcard_of

if TYPE_CHECKING:
    from ..plugins import Exporter
    from ..store import Store
# --- exporters ------------------------------------------------------------------------------


class CsvExporter:
    """UTF-8 with BOM (so Excel opens Chinese correctly), CRLF line ends."""

    name = "csv"

    def write(self, store: Store, customers: list[Customer], out: Path, what: str = "customers") -> int:
        header, rows = table(store, customers, what)
        with out.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow([neutralise(str(h)) for h in header])  # field names are data too
            for row in rows:
                writer.writerow([neutralise(_csv_text(v)) for v in row])
        return len(rows)


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class XlsxExporter:
    name = "xlsx"

    def write(self, store: Store, customers: list[Customer], out: Path, what: str = "customers") -> int:
        from openpyxl import Workbook
        from openpyxl.utils import get_column_letter

        header, rows = table(store, customers, what)
        for count, most, what_is in ((len(header), XLSX_COLUMNS, _("columns (fields)")),
                                     (len(rows) + 1, XLSX_ROWS, _("rows"))):
            if count > most:  # Excel opens a sheet past its last column or row as damaged
                raise KehuError(_(
                    "this export has {count} {what}, and an xlsx sheet holds at most {most} (Excel calls the "
                    "workbook damaged and drops the rest); nothing was written: export as CSV, which has no "
                    "such limit").format(count=f"{count:,}", what=what_is, most=f"{most:,}"))
        book = Workbook()
        sheet = book.active
        sheet.title = "顾客" if what == "customers" else "消费明细"
        sheet.append([None] * len(header))
        for col, title in enumerate(header, 1):  # field names (extra, plugins') are data too
            _set_cell(sheet.cell(row=1, column=col), str(title))
        for values in rows:
            sheet.append([None] * len(values))
            for col, value in enumerate(values, 1):
                if isinstance(value, str) and len(value) > XLSX_CELL_CHARS:
                    raise KehuError(_(
                        "{who}: {field} is {count} characters, and an xlsx cell holds at most {most} (Excel "
                        "cuts the rest, or calls the workbook damaged); nothing was written: export as CSV, "
                        "which has no such limit").format(
                        who=values[0], field=header[col - 1], count=len(value), most=XLSX_CELL_CHARS))
                _set_cell(sheet.cell(row=sheet.max_row, column=col), value)
        sheet.freeze_panes = "A2"
        for col, title in enumerate(header, 1):
            sheet.column_dimensions[get_column_letter(col)].width = max(10, min(40, len(title) * 2 + 4))
        _save_workbook(book, out)
        return len(rows)


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

    def write(self, store: Store, customers: list[Customer], out: Path) -> int:
        with out.open("w", encoding="utf-8", newline="") as handle:
            for customer in customers:
                handle.write(vcard_of(customer))
        return len(customers)


class IcsExporter:
    """Birthdays (solar as yearly events, lunar ones as dated events in this and the next two
    solar years) and the reminders due in the next 90 days."""

    name = "ics"
    reminder_days = 90
    lunar_years = 3

    def write(self, store: Store, customers: list[Customer], out: Path) -> int:
        from icalendar import Calendar

        today = store.today
        calendar = Calendar()
        calendar.add("prodid", "-//kehu//customer birthdays and reminders//ZH")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", f"{store.config.name} — 客户生日与提醒")
        # DTSTAMP: when the calendar was made, on the store's day (time is data)
        stamp = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
        events = [event for customer in customers
                  for event in birthday_events(customer, today.year, today.year + self.lunar_years - 1)]
        events += _reminder_events(store, {c.id for c in customers}, today, self.reminder_days)
        for event in events:
            event.add("dtstamp", stamp)
            calendar.add_component(event)
        out.write_bytes(ical_bytes(calendar))
        return len(events)


def _reminder_events(store: Store, ids: set[str], today: dt.date, days: int) -> list[Any]:
    try:
        from ..reminder_engine import due_reminders
    except ImportError:  # the reminders engine is not installed: birthdays only
        return []
    events = []
    for reminder in due_reminders(store, today, today + dt.timedelta(days=days)):
        if reminder.customer_id not in ids or reminder.rule in ("birthday", "lunar-birthday"):
            continue  # birthdays are already there, as events of their own
        events.append(reminder_event(reminder))
    return events


# --- registry -------------------------------------------------------------------------------


def builtin_exporters() -> list[Exporter]:
    return [CsvExporter(), XlsxExporter(), VCardExporter(), IcsExporter()]


def available_exporters(store: Store) -> list[Exporter]:
    found: dict[str, Exporter] = {}
    plugin_ones = store.plugins.collect("exporters")
    for exporter in [*plugin_ones, *builtin_exporters()]:
        found.setdefault(exporter.name, exporter)
    return list(found.values())


def _revealed(store: Store, customers: list[Customer]) -> list[Customer]:
    """The customers with their confidential fields in plain where the user's key opens them
    (the index holds none of them: each profile is read from its file)."""
    from .. import confidential

    if not confidential.has_identity(store):
        raise KehuError(_("--reveal writes confidential fields in plain: give your age identity "
            "(--identity FILE or {IDENTITY_ENV})").format(
            IDENTITY_ENV=confidential.IDENTITY_ENV))
    out = []
    for customer in customers:
        full = store.get(customer.id)
        out.append(confidential.revealed(store, full).customer if full.sealed else customer)
    return out


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
    customers = [row.customer for row in store.index.list(tag=tag, order="id")]
    if segment is not None:  # a saved segment (README "Segments")
        from .segments import segment_customers

        members = {c.id for c in segment_customers(store, segment)}
        customers = [c for c in customers if c.id in members]
    if reveal:
        customers = _revealed(store, customers)
    exporter = exporters[fmt]
    if what != "customers":
        if fmt not in ("csv", "xlsx") or not isinstance(exporter, (CsvExporter, XlsxExporter)):
            raise KehuError(_("--what {what} is only for csv and xlsx").format(what=what))
        return write_target(out, lambda path: exporter.write(store, customers, path, what=what))
    return write_target(out, _guarded(store, exporter, lambda path: exporter.write(store, customers, path)))


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
