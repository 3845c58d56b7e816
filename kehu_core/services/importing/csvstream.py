"""A CSV file's text, line by line as the csv module reads it, from one pass over the file.

The file was read three times whole: once for its lines' lengths (:func:`.limits.refuse_long_lines`),
once to know it is UTF-8, once to parse it. Now each piece read is measured
(:class:`.limits.LineMeter`) and decoded on its way to the csv reader, with the same
refusals at the same lines: a line over :data:`.limits.MAX_LINE` (:class:`.limits.LineTooLong`),
a line in no encoding kehu reads (:class:`.encodings.EncodingProblem`). Each refuses the whole
file, as before, though the rows above it have been read (:class:`.base.FileProblem`).

A file is decoded as :func:`.encodings.decode_bytes` decodes it whole. UTF-8, with or without its
byte order mark, or UTF-16 with its mark or its plain NUL bytes (nearly every sheet) is decoded
as it is read. Bytes
that are not UTF-8 in an unmarked file are carried through as surrogates
(``surrogateescape``) until the line holding them, from which on the file is read as
``decode_bytes`` would: each line as UTF-8, else GB18030, if a line of UTF-8 text came before
(a sheet pasted together from two sources); else the file whole, as GBK is (Chinese Excel's
"ANSI" CSV: its ASCII lines before that one read again, for the guess of an encoding). A guess
that reads those ASCII lines as other text (UTF-16 for a few odd bytes) is refused at the line,
where it imported mojibake.
"""

from __future__ import annotations

import io
import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ...byte_marks import head_encoding
from .encodings import EncodingProblem, decode_bytes, decode_line, marked_errors, wide_lines
from .limits import MAX_LINE, LineMeter, LineTooLong

#: bytes asked of the file at a time (and measured): as :func:`.limits.refuse_long_lines` reads
_PIECE = 64 * 1024
_ESCAPED = re.compile("[\udc80-\udcff]")  # a byte that is no UTF-8, as surrogateescape carries it


class _Measured(io.RawIOBase):
    """A binary file whose every piece goes through a :class:`LineMeter` as it is read."""

    def __init__(self, handle: BinaryIO, meter: LineMeter) -> None:
        self._handle, self._meter = handle, meter

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._handle.read(len(buffer))
        if data:
            self._meter.feed(data)
        else:
            self._meter.finish()
        buffer[:len(data)] = data
        return len(data)


class CsvText:
    """The lines of ``path`` (ends kept, at LF, CRLF or CR alone: ``newline=""``) for
    ``csv.reader``, read once; iterating raises ``LineTooLong`` or ``EncodingProblem`` at the
    line that has one. A context manager (closes the file)."""

    def __init__(self, path: Path, limit: int = MAX_LINE) -> None:
        self._handle = path.open("rb")
        self._marked = head_encoding(self._handle.read(8192))  # a mark, or UTF-16 without one
        self._handle.seek(0)
        self._meter = LineMeter(limit)
        self._buffered = io.BufferedReader(_Measured(self._handle, self._meter), _PIECE)

    def __enter__(self) -> CsvText:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def __iter__(self) -> Iterator[str]:
        if self._marked is not None:  # the file says its encoding: read in it, strictly, as before
            yield from wide_lines(io.TextIOWrapper(self._buffered, encoding=self._marked, newline="",
                                                   errors=marked_errors(self._marked)), self._marked)
            return
        text = io.TextIOWrapper(self._buffered, encoding="utf-8", errors="surrogateescape", newline="")
        ascii_bytes = 0  # the length of the lines so far while all are ASCII, else -1
        for number, line in enumerate(text, 1):
            if not line.isascii():
                if _ESCAPED.search(line):
                    yield from self._not_utf8(text, line, number, ascii_bytes)
                    return
                ascii_bytes = -1  # a line of UTF-8 text: the file is read line by line if not UTF-8
            elif ascii_bytes >= 0:
                ascii_bytes += len(line)
            yield line

    def _not_utf8(self, text: Iterator[str], line: str, number: int, ascii_bytes: int) -> Iterator[str]:
        """The rest of the file from ``line`` (its ``number``), the first that is not UTF-8, as
        :func:`decode_bytes` reads a file that is not UTF-8 whole."""
        def raw(piece: str) -> bytes:
            return piece.encode("utf-8", "surrogateescape")

        if ascii_bytes < 0:  # lines of two encodings: each on its own (decode_bytes' mixed reading)
            for at, rest in enumerate(itertools.chain([line], text), number):
                yield rest if not _ESCAPED.search(rest) else decode_line(raw(rest), at)
            return
        # the file whole, its ASCII lines so far read again (an encoding is guessed from it all)
        before = os.pread(self._handle.fileno(), ascii_bytes, 0)
        decoded = decode_bytes(before + raw(line) + b"".join(raw(later) for later in text))
        if not decoded.startswith(before.decode("ascii")):  # a guess that reads ASCII as other text
            raise EncodingProblem(number)  # (UTF-16 for a few bytes): no sheet is saved so
        yield from io.StringIO(decoded[ascii_bytes:], newline="")

    def check_rest(self) -> None:
        """Reading stops here: ``LineTooLong`` for a line too long further on, which refuses
        the file first, as every line's length was checked before anything else was read (the
        rest is read for it, decoded by nobody)."""
        # from the file itself: the text reader that stopped may have closed its buffer
        while piece := self._handle.read(_PIECE):
            self._meter.feed(piece)
        self._meter.finish()

    def refusal(self, exc: ValueError) -> ValueError:
        """What refuses the file when reading stopped at ``exc`` (:meth:`check_rest`)."""
        if not isinstance(exc, LineTooLong):
            try:
                self.check_rest()
            except LineTooLong as long:
                return long
        return exc
