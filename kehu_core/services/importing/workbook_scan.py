"""What a workbook's sheets hold, scanned in their XML before calamine or openpyxl opens
them (each part read in pieces, after :func:`.limits.check_xlsx` has bounded what the parts
unpack to): the cells a reader would lay out (:func:`sheet_cells`, against
:data:`DENSE_CELLS`), a formula nobody calculated (:func:`uncalculated_formula`), and the cells
whose number the readers give otherwise than the sheet shows it (:func:`cells_as_shown`)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ...i18n import _
from .limits import PIECE
from .values import CellError

#: the most cells of a workbook's sheets (their rows times columns, from A1 to the last cell,
#: as calamine lays them out) read through calamine, which holds that rectangle whole (about 70
#: bytes a cell with Python's lists): a 1.5 KB sheet with one cell at A1 and one at XFD1048576
#: asked for 512 GB, and the process was aborted. A workbook spanning more is read row by row
#: (openpyxl, slower and bounded); real sheets (50 000 rows of 40 columns) stay under it.
DENSE_CELLS = 2_000_000
# A tag's attributes are read up to its end or the next "<" (which no attribute holds): read up to
# its ">" alone, each of 300 000 "<c " with no ">" after them was read to the end of the part
# again, and a 6 KB workbook took half an hour of CPU before anything was said
_TAG = re.compile(rb"<(?:[\w.-]+:)?(row|c)\b([^<>]*)>")
_ROW_AT = re.compile(rb'\br="(\d{1,9})"')
_CELL_AT = re.compile(rb'\br="([A-Za-z]{1,9})(\d{1,9})"')
# the quick way, when every row and cell names its place (as Excel, LibreOffice and openpyxl write)
_ROWS = re.compile(rb"<(?:[\w.-]+:)?row\b")
_CELLS = re.compile(rb"<(?:[\w.-]+:)?c\b")
_ROWS_AT = re.compile(rb'<(?:[\w.-]+:)?row\b[^<>]*?\sr="(\d{1,9})"')
_CELLS_AT = re.compile(rb'<(?:[\w.-]+:)?c\b[^<>]*?\sr="([A-Za-z]{1,9})(\d{1,9})"')


def sheet_cells(path: Path) -> int:
    """The cells calamine would lay out for the workbook at ``path``: each sheet's last row
    times its last column, added up, from the cells' and rows' own places (``r="XFD1048576"``)
    and their counts where they name none; the ``<dimension>`` a writer states is not trusted.
    Every XML part is looked at, as a workbook may keep a sheet under any name. Read in
    pieces, after :func:`.limits.check_xlsx` has bounded what the parts unpack to."""
    total = 0
    with zipfile.ZipFile(path) as book:
        for info in book.infolist():
            if not info.is_dir() and info.filename.lower().endswith(".xml"):
                total += _part_cells(book, info)
    return total


def _part_cells(book: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    last_row = last_col = row = col = 0
    columns: set[bytes] = set()
    with book.open(info) as part:
        tail = b""
        while piece := part.read(PIECE * 16):
            data = tail + piece
            cut = data.rfind(b">") + 1
            data, tail = data[:cut], data[cut:]
            rows, cells = _ROWS_AT.findall(data), _CELLS_AT.findall(data)
            if len(rows) == len(_ROWS.findall(data)) and len(cells) == len(_CELLS.findall(data)):
                if rows:
                    last_row = max(last_row, *map(int, rows))
                if cells:
                    last_row = max(last_row, *(int(number) for _, number in cells))
                    columns.update(letters for letters, _ in cells)
                row = last_row
                continue
            for match in _TAG.finditer(data):  # a row or cell without its place: counted
                at = (_ROW_AT if match.group(1) == b"row" else _CELL_AT).search(match.group(2))
                if match.group(1) == b"row":
                    row, col = (int(at.group(1)) if at else row + 1), 0
                    last_row = max(last_row, row)
                else:
                    col = _column(at.group(1)) if at else col + 1
                    last_row = max(last_row, int(at.group(2)) if at else row)
                    last_col = max(last_col, col)
    return last_row * max(last_col, *map(_column, columns), 0)


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


# a cell holding a formula: its tag (attributes), and what follows the formula up to the cell's end
_FORMULA_CELL = re.compile(rb"<(?:[\w.-]+:)?c\b([^<>]*)>\s*<(?:[\w.-]+:)?f\b[^<>]*?(?:/>|>[^<]*</(?:[\w.-]+:)?f>)"
                           rb"\s*(<(?:[\w.-]+:)?v\s*/>|<(?:[\w.-]+:)?v>\s*</(?:[\w.-]+:)?v>|"
                           rb"<(?:[\w.-]+:)?v>|</(?:[\w.-]+:)?c>)")
_TEXT_TYPE = re.compile(rb'\bt="str"')
_SHEET = re.compile(rb"<(?:[\w.-]+:)?sheet\b([^<>]*)>")
_RELATION = re.compile(rb"<(?:[\w.-]+:)?Relationship\b([^<>]*)>")


def _attribute(tag: bytes, name: bytes) -> str | None:
    found = re.search(rb'(?:^|\s)' + name + rb'="([^"]*)"', tag)
    return None if found is None else found.group(1).decode("utf-8", "replace")


def uncalculated_formula(path: Path) -> str | None:
    """Where the workbook at ``path`` holds a formula with no value (a sheet written by a
    script, openpyxl's or a web system's, that no program calculated): its readers give such
    a cell as empty, and `kehu import` stored 张三 without the phone whose cell was
    ``="139"&"12345678"``, exit 0. None when every formula has its value, as Excel, LibreOffice,
    Numbers and Google Sheets write them (an empty text result is ``t="str"`` with an empty
    value: a value). Read after :func:`.limits.check_xlsx` has bounded what the parts unpack to."""
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return None
    with book:
        names = _sheet_names(book)
        for info in book.infolist():
            if info.is_dir() or not info.filename.lower().endswith(".xml") or "worksheets/" not in info.filename:
                continue
            for match in _formula_cells(book, info):
                after = match.group(2)
                if b"/" not in after:
                    continue  # <v>: a value follows
                if not after.startswith(b"</") and _TEXT_TYPE.search(match.group(1)):
                    continue  # an empty <v> of t="str": the formula's value is empty text
                at = _CELL_AT.search(match.group(1))
                cell = at.group(1).decode().upper() + at.group(2).decode() if at else "?"
                sheet = names.get(info.filename, info.filename)
                from ...models.hostile import escaped_text  # a sheet's name is the file's: never raw to a terminal

                return _("sheet {sheet}, cell {cell}: a formula whose value the workbook does not hold (a sheet "
                         "written by a program that does not calculate); open it in Excel or LibreOffice, save it, "
                         "and import it again").format(sheet=escaped_text(sheet), cell=cell)
    return None


def _formula_cells(book: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[re.Match[bytes]]:
    """The cells of a sheet's part that hold a formula."""
    for data in _cell_pieces(book, info):
        if b"<f" in data or b":f" in data:
            yield from _FORMULA_CELL.finditer(data)


def _cell_pieces(book: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A sheet's part read in pieces (a part is as big as :func:`.limits.check_xlsx` lets it unpack),
    each piece cut before its last cell, which may go on."""
    with book.open(info) as part:
        tail = b""
        while True:
            piece = part.read(PIECE * 16)
            data = tail + piece
            cut = _last_cell_start(data) if piece else len(data)
            data, tail = data[:cut], data[cut:]
            if len(tail) > PIECE * 16:  # one cell of megabytes is no formula kehu reads
                tail = b""
            yield data
            if not piece:
                return


# a cell whose value comes first and is empty: what openpyxl writes for float('nan') and an infinity
_EMPTY_VALUE = re.compile(rb"<(?:[\w.-]+:)?v\s*/>|<(?:[\w.-]+:)?v>\s*</")
_EMPTY_VALUE_CELL = re.compile(rb"<(?:[\w.-]+:)?c\b([^<>]*)>\s*(?:<(?:[\w.-]+:)?v\s*/>|<(?:[\w.-]+:)?v>\s*</)")
_TYPE = re.compile(rb'(?:^|\s)t="([^"]*)"')
# a cell of one of Excel's error values (t="e"), its formula (if any) before its value
_ERROR_TYPE = b't="e"'
_ERROR_CELL = re.compile(rb'<(?:[\w.-]+:)?c\b([^<>]*\st="e"[^<>]*)>\s*'
                         rb'(?:<(?:[\w.-]+:)?f\b[^<>]*?(?:/>|>[^<]{0,8192}</(?:[\w.-]+:)?f>)\s*)?'
                         rb'<(?:[\w.-]+:)?v>([^<]{1,40})</')


def cells_as_shown(path: Path) -> dict[str, dict[tuple[int, int], Any]]:
    """Each sheet's number cells (row from 1, column from 0) its readers give otherwise than
    the sheet shows them, with what they are:

    - one holding no number, NaN: an empty value, as openpyxl writes a script's
      ``float('nan')`` or ``float('inf')``. Its readers give such a cell as empty, and `kehu
      import` stored a customer without the ``credit_limit`` or a sale without the amount the
      script meant, exit 0 (the same NaN in a CSV was refused). A value a number cell holds as
      text (``NaN``, ``INF``) is read as that float already;
    - one holding one of Excel's error values (``#N/A``, ``#DIV/0!``), a :class:`CellError`:
      calamine gives it as empty (an amount of ``#DIV/0!`` was lost), openpyxl as text;
    - one of a format of zeros (``00000``: an id or a member number, 00123), the digits shown,
      and one of a percentage (``0%``, ``0.00%``), the percentage shown: they were 123 and 0.25.

    Read after :func:`.limits.check_xlsx` has bounded what the parts unpack to; the sheets are read for
    the second kind only when the workbook's styles hold such a format."""
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return {}
    out: dict[str, dict[tuple[int, int], Any]] = {}
    with book:
        names = _sheet_names(book)
        shown = _shown_styles(book)
        for info in book.infolist():
            if info.is_dir() or not info.filename.lower().endswith(".xml") or "worksheets/" not in info.filename:
                continue
            cells = out.setdefault(names.get(info.filename, info.filename), {})
            for data in _cell_pieces(book, info):
                if _EMPTY_VALUE.search(data):
                    for match in _EMPTY_VALUE_CELL.finditer(data):
                        kind = _TYPE.search(match.group(1))
                        at = _CELL_AT.search(match.group(1))
                        if at is None or (kind is not None and kind.group(1) != b"n"):
                            continue  # an empty text result (t="str") is a value; a cell with no place is not told
                        cells[(int(at.group(2)), _column(at.group(1)) - 1)] = float("nan")
                if _ERROR_TYPE in data:
                    for match in _ERROR_CELL.finditer(data):
                        at = _CELL_AT.search(match.group(1))
                        if at is not None:
                            cells[(int(at.group(2)), _column(at.group(1)) - 1)] = CellError(
                                match.group(2).decode("ascii", "replace").strip())
                if shown:
                    for match in _STYLED_NUMBER.finditer(data):
                        style, kind = _STYLE.search(match.group(1)), _TYPE.search(match.group(1))
                        at = _CELL_AT.search(match.group(1))
                        if (at is None or style is None or int(style.group(1)) not in shown
                                or (kind is not None and kind.group(1) != b"n")):
                            continue
                        text = _as_formatted(match.group(2).decode("ascii", "replace").strip(),
                                             shown[int(style.group(1))])
                        if text is not None:
                            cells[(int(at.group(2)), _column(at.group(1)) - 1)] = text
    return {name: cells for name, cells in out.items() if cells}


_STYLE = re.compile(rb'(?:^|\s)s="(\d{1,9})"')
_STYLED_NUMBER = re.compile(rb'<(?:[\w.-]+:)?c\b([^<>]*\ss="\d+"[^<>]*)>\s*'
                            rb'<(?:[\w.-]+:)?v>([^<]{1,40})</(?:[\w.-]+:)?v>')
_ZEROS = re.compile(r"^0{2,}$")
_PERCENT = re.compile(r"^0(?:\.(0{1,15}))?%$")
#: Excel's own formats of a percentage (numFmtId 9 and 10), which no styles part spells out
_BUILT_IN = {9: "0%", 10: "0.00%"}
_NUM_FMT = re.compile(rb"<(?:[\w.-]+:)?numFmt\b([^<>]*)>")
_CELL_XFS = re.compile(rb"<(?:[\w.-]+:)?cellXfs\b[^<>]*>(.*?)</(?:[\w.-]+:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:[\w.-]+:)?xf\b([^<>]*)>")


def _shown_styles(book: zipfile.ZipFile) -> dict[int, str]:
    """The workbook's cell styles (their index, as a cell's ``s`` names it) of a format of zeros
    or of a percentage, with that format."""
    try:
        styles = book.read("xl/styles.xml")
    except (KeyError, OSError, zipfile.BadZipFile):
        return {}
    import html

    formats = dict(_BUILT_IN)
    for tag in _NUM_FMT.findall(styles):
        number, code = _attribute(tag, b"numFmtId"), _attribute(tag, b"formatCode")
        if number is not None and number.isdigit() and code is not None:
            formats[int(number)] = html.unescape(code)
    listed = _CELL_XFS.search(styles)
    out = {}
    for pos, tag in enumerate(_XF.findall(listed.group(1)) if listed else ()):
        number = _attribute(tag, b"numFmtId")
        code = formats.get(int(number)) if number is not None and number.isdigit() else None
        if code is not None and (_ZEROS.match(code) or _PERCENT.match(code)):
            out[pos] = code
    return out


def _as_formatted(value: str, code: str) -> str | None:
    """A number cell's value as its format of zeros or of a percentage shows it (None if it
    is no finite number, or no whole number under zeros)."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    percent = _PERCENT.match(code)
    if percent:
        places = len(percent.group(1) or "")
        return f"{(number * 100).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP):f}%"
    if number != number.to_integral_value() or number < 0:
        return None
    return f"{int(number):0{len(code)}d}"


def _last_cell_start(data: bytes) -> int:
    """Where the last cell tag of ``data`` starts (its length: none), looked for in its last
    kilobytes first: a cell tag begins at its ``<``, so the last one found there is the last of
    all. Finding every cell of each piece to keep the last took 1.1 s of a 100 000-row sheet."""
    for window in (4096, len(data)):
        starts = [m.start() for m in _CELLS.finditer(data, max(0, len(data) - window))]
        if starts:
            return starts[-1]
    return len(data)


def _sheet_names(book: zipfile.ZipFile) -> dict[str, str]:
    """Each worksheet part's sheet name (``xl/worksheets/sheet1.xml`` → ``客户``), as far as the
    workbook's parts say it; a part they do not name is named by its path."""
    try:
        workbook, rels = book.read("xl/workbook.xml"), book.read("xl/_rels/workbook.xml.rels")
    except (KeyError, OSError, zipfile.BadZipFile):
        return {}
    import html

    targets = {_attribute(tag, b"Id"): _attribute(tag, b"Target") for tag in _RELATION.findall(rels)}
    out = {}
    for tag in _SHEET.findall(workbook):
        name, target = _attribute(tag, b"name"), targets.get(_attribute(tag, rb"r:id"))
        if name is not None and target is not None:
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            out[part] = html.unescape(name)
    return out
