"""What one file given to ``kehu import`` may cost (``import_limits:`` in kehu.yaml).

A file is refused, with a message naming the limit and the setting that raises it, before a
reader spends memory on it: any file over ``file_mb``; an .xlsx whose parts unpack to more
than ``xlsx_unpacked_mb`` in all, or a part that unpacks to more than ``xlsx_ratio`` times its
packed size (a zip bomb: 1 MB that unpacks to 1 GB, which openpyxl and calamine would hold in
memory). A vCard is read line by line with its photos skipped (:mod:`.vcard_stream`).

The sizes a zip's directory gives are the writer's word, so each part is also unpacked here,
in small pieces and counted, stopping at the limit: a part that claims to be small and is not
is found before a reader trusts the claim.
"""

from __future__ import annotations

import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...config import ImportLimits
from ...errors import KehuError, os_error_text
from ...i18n import _
from .workbook_parts import PartEntries, WorkbookEntries

MB = 1 << 20
PIECE = 64 * 1024
# A small part may unpack to many times its size without harm (an empty sheet, a style list):
# the ratio is only asked of parts that unpack to more than this.
_RATIO_FLOOR = MB


#: the longest line of a CSV kehu reads: a row becomes one record, and no record is over 2 MiB
#: (``yamlio.MAX_FILE_BYTES``). A 95 MB CSV of one line took 900 MB before it was refused (read,
#: decoded and copied whole before the csv reader found its cell too long), and one of 50
#: million short cells 23 GB and nine minutes; :class:`LineMeter` stops at this length.
MAX_LINE = 2 * MB
_BREAK = re.compile(rb"\r\n|\r|\n")

#: the most cells a row of a sheet (CSV or xlsx) may have, up to its last non-empty one: far above
#: any real customer sheet (a shop's export has tens of columns; Excel's own limit is 16 384).
#: A 1.9 MB CSV line of a million one-letter cells, under ``MAX_LINE``, cost 320 MB and 4.7 s in
#: a dry-run import (each cell an extra column, kept and named in the summary); it is refused
#: at its line by :func:`capped_row` as the reader yields it.
MAX_CELLS = 1000


class Refused(ValueError):
    """A file over one of the limits (the message says which, and the setting that raises it),
    or a workbook packed in a way no reader should be trusted with."""


def _setting(name: str) -> str:
    return _("import_limits: {name} in kehu.yaml").format(name=name)


def size_mb(size: int) -> str:
    """``size`` bytes in MB to a tenth, rounded up: a size over a limit of whole MB never shows
    as the limit itself (1 MB and a byte was "1.0 MB; at most 1 MB"). Every message of a size
    over an import limit, a vCard property's and ``kehu serve``'s body's too."""
    tenths = -(-size * 10 // MB)
    return f"{tenths // 10}.{tenths % 10} MB"


def refuse_special_file(path: Path) -> None:
    """Refuse, before anything opens it, a file given to ``kehu import`` that is no regular file:
    a FIFO would hang the import until someone writes to it, ``/dev/zero`` or ``/dev/urandom``
    would be read without end (their size is 0, so ``file_mb`` cannot see them)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise KehuError(f"{path}: {os_error_text(exc)}") from None
    if not stat.S_ISREG(mode):
        what = ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "a device")
        raise KehuError(_("{path}: is {what}, not a file; kehu imports regular files only").format(
            path=path, what=what))


def check_file_size(path: Path, limits: ImportLimits) -> None:
    size = path.stat().st_size
    if size > limits.file_mb * MB:
        raise Refused(_("the file is {size}; kehu imports files of at most {limit} MB ({setting})").format(
            size=size_mb(size), limit=limits.file_mb, setting=_setting("file_mb")))


def too_many_rows(most: int) -> str:
    """Why an import that reached row ``most`` + 1 stopped (the rows, files together)."""
    return _("more than {most} rows in one import ({setting}): nothing was imported; split the file, "
             "or raise the limit").format(most=f"{most:,}".replace(",", " "), setting=_setting("rows"))


def check_xlsx(path: Path, limits: ImportLimits) -> None:
    """Refuse a workbook that would unpack to more than the limits allow (a zip bomb).
    A file that is no zip at all is left to the readers, whose messages say what it is."""
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return
    with book, path.open("rb") as raw:
        budget = limits.xlsx_unpacked_mb * MB
        total = 0
        # what the readers build whole before the first row (styles, shared texts), counted
        # as each part is unpacked here anyway
        workbook = WorkbookEntries()
        for info in book.infolist():
            if info.is_dir():
                continue
            claimed = info.file_size
            _check_ratio(info.filename, claimed, info.compress_size, limits)
            if total + claimed > budget:
                raise Refused(_too_big(limits))
            entries = PartEntries()
            actual = _unpacked_size(raw, info, budget - total, entries.feed)
            if actual is None:
                raise Refused(_too_big(limits))
            _check_ratio(info.filename, actual, info.compress_size, limits)
            total += actual
            try:
                workbook.part(info.filename, entries)
            except ValueError as exc:
                raise Refused(str(exc)) from None
        try:
            workbook.finish()
        except ValueError as exc:
            raise Refused(str(exc)) from None


def _too_big(limits: ImportLimits) -> str:
    return _("the workbook unpacks to more than {limit} MB ({setting}); a zip bomb, or a sheet too big to "
             "import at once (split it, or raise the limit)").format(
        limit=limits.xlsx_unpacked_mb, setting=_setting("xlsx_unpacked_mb"))


def _check_ratio(name: str, unpacked: int, packed: int, limits: ImportLimits) -> None:
    if unpacked > _RATIO_FLOOR and unpacked > limits.xlsx_ratio * max(packed, 1):
        raise Refused(_("{name} unpacks to {size} from {packed} KB, over {ratio} times its size ({setting}): "
                        "a zip bomb, not a workbook").format(
            name=name, size=size_mb(unpacked), packed=f"{packed / 1024:.0f}", ratio=limits.xlsx_ratio,
            setting=_setting("xlsx_ratio")))


def _unpacked_size(raw, info: zipfile.ZipInfo, budget: int, feed: Callable[[bytes], None]) -> int | None:
    """What ``info`` really unpacks to, or None past ``budget``, each piece handed to ``feed``.
    The packed bytes are read from the member's local header on (bounded by its packed size,
    as every reader does)."""
    stored = info.compress_type == zipfile.ZIP_STORED
    if not stored and (info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1):
        # Excel writes deflate only; other methods and encryption are no workbook's
        how = (_("method {method}, encrypted") if info.flag_bits & 0x1 else _("method {method}")).format(
            method=info.compress_type)
        raise Refused(_("{file}: packed in a way no workbook is ({how})").format(file=info.filename, how=how))
    raw.seek(info.header_offset)
    header = raw.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise Refused(_("{file}: broken zip entry").format(file=info.filename))
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    raw.seek(info.header_offset + 30 + name_len + extra_len)
    if stored:
        left = info.compress_size
        while left > 0 and (chunk := raw.read(min(PIECE, left))):
            left -= len(chunk)
            feed(chunk)
        return info.compress_size
    inflate = zlib.decompressobj(-zlib.MAX_WBITS)
    left, size = info.compress_size, 0
    while left > 0 and not inflate.eof:
        chunk = raw.read(min(PIECE, left))
        if not chunk:
            break
        left -= len(chunk)
        data = chunk
        while data:
            try:
                out = inflate.decompress(data, PIECE)
            except zlib.error as exc:
                raise Refused(_("{file}: broken packed data ({error})").format(file=info.filename, error=exc)) from None
            size += len(out)
            if size > budget:
                return None
            feed(out)
            data = inflate.unconsumed_tail
    rest = inflate.flush()  # what the last piece left (at most one match)
    feed(rest)
    size += len(rest)
    return size if size <= budget else None


class TooManyCells(ValueError):
    """A row of more than :data:`MAX_CELLS` cells, with its line (as ``LineTooLong``)."""

    def __init__(self, line: int, cells: int) -> None:
        self.line = line
        super().__init__(_("row {line} has {cells} cells; kehu imports rows of at most {limit} cells "
                           "(columns), far more than any customer sheet has").format(
            line=line, cells=cells, limit=MAX_CELLS))


def capped_row(line: int, row: list[Any]) -> list[Any]:
    """``row`` without its trailing empty cells if it is longer than :data:`MAX_CELLS` (a sheet
    padded to a stray cell far right), or :class:`TooManyCells` if it still is."""
    if len(row) <= MAX_CELLS:
        return row
    last = len(row)
    while last and (row[last - 1] is None or row[last - 1] == ""):
        last -= 1
    if last > MAX_CELLS:
        raise TooManyCells(line, last)
    return row[:last]


class LineTooLong(ValueError):
    """A line of a CSV over :data:`MAX_LINE`, with its number (as ``EncodingProblem``)."""

    def __init__(self, line: int, limit: int) -> None:
        self.line = line
        super().__init__(_("line {line} is longer than {limit} MB; kehu reads CSV lines of at most "
                           "{limit} MB (a row becomes one record, and records are at most 2 MiB)").format(
            line=line, limit=limit // MB))


def refuse_long_lines(path: Path, limit: int = MAX_LINE) -> None:
    """Raise :class:`LineTooLong` for the first line of ``path`` longer than ``limit`` bytes,
    reading it in pieces of 64 KB (:class:`LineMeter`) without decoding or keeping any."""
    meter = LineMeter(limit)
    with path.open("rb") as handle:
        while piece := handle.read(PIECE):
            meter.feed(piece)
    meter.finish()


class LineMeter:
    """The lengths of a file's lines in bytes, fed the file a piece at a time as it is read
    (lines end at LF, CRLF or a CR alone, as the csv module reads them): :class:`LineTooLong`
    for the first line longer than ``limit``, before that line is read whole or decoded. The
    lines of a piece are counted, not looked at one by one, when the piece is shorter than
    ``limit`` (the only line that can be too long then is one it continues or leaves
    unfinished): a 60 MB file of blank lines took 20 s of CPU a line at a time."""

    def __init__(self, limit: int = MAX_LINE) -> None:
        self.limit = limit
        self.line, self.run = 1, 0  # run: the bytes of the current line seen so far
        self._cr = False  # the last piece ended in CR: an LF starting the next one ends no line

    def feed(self, piece: bytes) -> None:
        if self._cr and piece.startswith(b"\n"):
            piece = piece[1:]  # a CRLF cut in two is one break, counted at its CR
        self._cr = piece.endswith(b"\r")
        if not piece:
            return
        limit = self.limit
        first = _BREAK.search(piece)
        if first is None:  # the current line goes on through the whole piece
            self.run += len(piece)
            if self.run > limit:
                raise LineTooLong(self.line, limit)
            return
        if self.run + first.start() > limit:
            raise LineTooLong(self.line, limit)
        if len(piece) > limit:  # a line inside the piece may be too long: each looked at
            parts = _BREAK.split(piece)
            for part in parts[1:-1]:
                self.line += 1
                if len(part) > limit:
                    raise LineTooLong(self.line, limit)
            self.line, self.run = self.line + 1, len(parts[-1])
            return
        self.line += piece.count(b"\n") + piece.count(b"\r") - piece.count(b"\r\n")
        self.run = len(piece) - (max(piece.rfind(b"\n"), piece.rfind(b"\r")) + 1)

    def finish(self) -> None:
        """The file ended: its last line (with no break after it) is measured too."""
        if self.run > self.limit:
            raise LineTooLong(self.line, self.limit)
