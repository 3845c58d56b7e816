"""A vCard file read line by line, with what kehu never imports left unread.

vobject parses a whole property at once, and a 20 MB ``PHOTO`` took it 3 GB of memory. So
before anything is decoded or parsed, the file is read in pieces of at most 64 KB and each
property (a line and its folded or quoted-printable continuations) is screened:

* ``PHOTO``, ``LOGO``, ``SOUND`` and ``KEY`` (kehu stores no pictures) keep their name and
  parameters with an empty value, so the summary can still say "not imported: PHOTO"; their
  data is skipped as it is read, whatever its size;
* a text property (``NOTE``, ``ADR`` …) over ``import_limits: vcard_property_mb`` is dropped
  and its card refused, naming the line (no record can hold it: records are at most 2 MiB).

Every line that is dropped leaves an empty line behind (empty lines are no part of a card), so
line numbers in messages are those of the file. What is kept is the card text, small whatever
the photos weigh.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ...byte_marks import head_encoding, is_wide
from ...i18n import _
from ...models.customer import MAX_CONTACTS
from .encodings import marked_errors, wide_lines
from .limits import size_mb

_PIECE = 64 * 1024
_HEAD = 4096  # bytes a card's encoding is told from (byte_marks.head_encoding)
_BINARY = {b"PHOTO", b"LOGO", b"SOUND", b"KEY"}
_NAME = re.compile(rb"\s*(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)")
# vCard 2.1 writers put base64 on unindented lines until a blank one: such a line is still data
_BASE64_LINE = re.compile(rb"[A-Za-z0-9+/=\s]*\Z")


@dataclass
class Screened:
    """The file's card text (UTF-8, or the file's own 8-bit encoding) and the lines of the
    properties that were too big, each with its message."""

    data: bytes
    too_big: dict[int, str] = field(default_factory=dict)
    #: the encoding its byte order mark said, if it had one (``data`` is then UTF-8 for UTF-16
    #: and UTF-32, read as the text is screened)
    marked: str | None = None


@dataclass
class _Property:
    line: int
    name: bytes
    header: bytes  # up to the value's ':' (name and parameters)
    binary: bool
    quoted: bool  # QUOTED-PRINTABLE: a line ending in '=' goes on on the next line
    kept: list[bytes] = field(default_factory=list)
    size: int = 0
    lines: int = 0
    over: bool = False
    soft_break: bool = False
    head: int = 0  # bytes of its name and parameters seen so far
    in_head: bool = True  # its value's ':' not seen yet


def screen_vcard(path: Path, max_property: int) -> Screened:
    with path.open("rb") as handle:
        return _screen_handle(handle, max_property)


def screen_vcard_body(read_line: Callable[[int], bytes], max_property: int) -> Screened:
    """The same screening of a vCard that is not a file: ``read_line(limit)`` gives its next
    line, at most ``limit`` bytes, and ``b""`` at its end (a request's body, for kehu serve).
    Its byte order mark is read as a file's: a UTF-16 body was screened as bytes, its PHOTO
    taken for a text line over ``vcard_property_mb`` (413) that the import skips unread."""
    return _screen_handle(io.BufferedReader(_Lines(read_line)), max_property)


def _screen_handle(handle: BinaryIO, max_property: int) -> Screened:
    # a mark, or UTF-16 without one (its NUL bytes): read by the rule of every door
    marked = head_encoding(handle.peek(_HEAD)[:_HEAD]) if hasattr(handle, "peek") else None
    screened = _screen(_wide_pieces(handle, marked) if marked is not None and is_wide(marked) else _pieces(handle),
                       max_property)
    screened.marked = marked
    return screened


class _Lines(io.RawIOBase):
    """``read_line`` as a raw stream, for a buffered reader (which can peek at its mark)."""

    def __init__(self, read_line: Callable[[int], bytes]) -> None:
        super().__init__()
        self.read_line = read_line
        self.rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # lines up to the buffer's size: a peek sees a card's head, not its first line alone
        # (too little to tell UTF-16 without its mark from its NUL bytes)
        size = 0
        while size < len(buffer):
            if not self.rest:
                self.rest = self.read_line(min(len(buffer) - size, _PIECE))
                if not self.rest:
                    break
            taken = min(len(buffer) - size, len(self.rest))
            buffer[size:size + taken] = self.rest[:taken]
            self.rest = self.rest[taken:]
            size += taken
        return size


def _pieces(handle: BinaryIO) -> Iterator[bytes]:
    while chunk := handle.readline(_PIECE):
        yield chunk


def _wide_pieces(handle: BinaryIO, encoding: str) -> Iterator[bytes]:
    """A UTF-16 file (Windows' contacts) or a UTF-32 one as UTF-8 pieces: decoded as it is read."""
    text = io.TextIOWrapper(handle, encoding=encoding, errors=marked_errors(encoding))  # CRLF and CR read as LF
    for chunk in wide_lines(iter(lambda: text.readline(_PIECE), ""), encoding):
        yield chunk.encode("utf-8")


#: the text of one card (its photos left out) that a record could hold: a customer file is at
#: most 2 MiB (kehu_core.yamlio.MAX_FILE_BYTES). 2.5 million short TEL lines (50 MB, no
#: property over vcard_property_mb) took vobject 1.9 GB and 95 s to refuse nothing.
MAX_CARD = 2 * 1024 * 1024

#: the properties (lines, folded ones as one) of one card that a record could hold: a customer
#: has at most MAX_CONTACTS phones, emails and addresses each and some dozens of fields; 100 000
#: TEL lines (2 MB) cost vobject and the phone rules 16 s of CPU (a `kehu serve` PUT: a worker)
#: to refuse them as more than 50 phones
MAX_PROPERTIES = 1000


@dataclass
class _Card:
    line: int = 0
    start: int = 0  # where its text begins in the output
    over: bool = False
    open: bool = False  # between its BEGIN and its END
    properties: int = 0


def _screen(pieces: Iterator[bytes], max_property: int) -> Screened:
    out = bytearray()
    result = Screened(b"")
    card = _Card()
    current: _Property | None = None
    number, at_start = 1, True
    for piece in pieces:
        if at_start and not _continues(current, piece):
            if current is not None:
                _flush_in_card(current, out, result, max_property, card)
            current = _start(number, piece)
        assert current is not None
        _add(current, piece, at_start, max_property)
        at_start = piece.endswith(b"\n")
        if at_start:
            number += 1
            current.soft_break = current.quoted and piece.rstrip(b"\r\n").endswith(b"=")
    if current is not None:
        _flush_in_card(current, out, result, max_property, card)
    result.data = whole_characters(bytes(out))
    return result


#: a fold (a line break and one space or tab, RFC 6350 3.2) written inside a character of more
#: than one byte, and the bytes ending that character after it
_FOLD_IN_A_CHARACTER = re.compile(rb"(?<=[\x80-\xff])(\r?\n[ \t])([\x80-\xbf]+)")


def whole_characters(data: bytes) -> bytes:
    """``data`` with each fold a writer put inside a UTF-8 character moved after that character
    (the line count kept): folds are taken out before a card is read, so it is where it always
    was, but a line holding half a character is no UTF-8 text, and a phone's or a program's card
    folded every 75 bytes (the RFC's count, which says to keep a character whole) was refused,
    "line 5 is neither UTF-8 nor GBK text". Only when that makes the whole text UTF-8: in GBK, a
    byte of that range after a fold may begin a character of its own."""
    if data.isascii():
        return data
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    moved = _FOLD_IN_A_CHARACTER.sub(rb"\2\1", data)
    try:
        moved.decode("utf-8")
    except UnicodeDecodeError:
        return data
    return moved


def _flush_in_card(prop: _Property, out: bytearray, result: Screened, max_property: int, card: _Card) -> None:
    """Flush ``prop``, and refuse its card at its BEGIN line once the card's text passes
    :data:`MAX_CARD`: what it held past its BEGIN is replaced by as many empty lines (so line
    numbers stay the file's), and so is the rest of it up to its END."""
    before = len(out)
    _flush(prop, out, result, max_property)
    if prop.name == b"BEGIN":
        card.line, card.start, card.over, card.open, card.properties = prop.line, len(out), False, True, 0
        return
    if prop.name == b"END" or not card.open:
        # what follows a card's END is no card's: 30 million blank lines after the last card
        # counted as its text, each line counting the whole card again (a 60 MB file ran on
        # for minutes)
        card.open = card.open and prop.name != b"END"
        return
    card.properties += 1
    if not card.over:
        if len(out) - card.start > MAX_CARD:
            why = (f"the card holds over {MAX_CARD >> 20} MB of text besides its photos; records are at most "
                   f"{MAX_CARD >> 20} MiB, so no record can hold it")
        elif card.properties > MAX_PROPERTIES:
            why = _("the card has more than {most} properties (lines); a customer has at most {contacts} phones, "
                    "emails and addresses each, so no record can hold it").format(
                most=MAX_PROPERTIES, contacts=MAX_CONTACTS)
        else:
            return
        card.over = True
        result.too_big[card.line] = why
        before = card.start
    lines = out.count(b"\n", before)
    del out[before:]
    out += b"\n" * lines


def _continues(prop: _Property | None, piece: bytes) -> bool:
    if prop is None or not prop.name:
        return False
    if piece[:1] in (b" ", b"\t") or prop.soft_break:
        return True
    return prop.binary and b":" not in piece and bool(piece.strip()) and bool(_BASE64_LINE.match(piece))


def _start(number: int, piece: bytes) -> _Property:
    match = _NAME.match(piece)
    name = match.group(1).upper() if match else b""
    header = piece.split(b":", 1)[0][:1024] if b":" in piece else piece[:1024].rstrip(b"\r\n")
    return _Property(number, name, header, name in _BINARY, b"QUOTED-PRINTABLE" in header.upper())


#: the most bytes a property's name and parameters may take: real ones take tens
#: (``TEL;TYPE=CELL,VOICE,pref``); 1.4 MB of ``;TYPE=x`` took vobject 550 MB of memory
MAX_PARAMETERS = 16 * 1024


def _add(prop: _Property, piece: bytes, new_line: bool, max_property: int) -> None:
    prop.lines += new_line
    if prop.in_head:
        colon = piece.find(b":")
        prop.head += len(piece) if colon < 0 else colon
        prop.in_head = colon < 0
        if prop.head > MAX_PARAMETERS and not prop.over:
            prop.over, prop.kept, prop.binary = True, [], False  # refused whole, as too big
    if prop.binary:
        return
    prop.size += len(piece)
    if prop.over:
        return
    if prop.size > max_property:
        prop.over, prop.kept = True, []
    else:
        prop.kept.append(piece)


def _flush(prop: _Property, out: bytearray, result: Screened, max_property: int) -> None:
    if prop.binary:  # the name and parameters, no data: "not imported: PHOTO" still says it
        out += prop.header + b":\r\n" + b"\r\n" * (prop.lines - 1)
    elif prop.over:
        name = prop.name.decode("ascii") or "a line"
        result.too_big[prop.line] = (_(
            "{name} has {size} KB of parameters; a vCard property's name and parameters may be at most "
            "{most} KB (real ones take a few dozen bytes)").format(
            name=name, size=f"{prop.head / 1024:.0f}", most=MAX_PARAMETERS // 1024)
            if prop.head > MAX_PARAMETERS else
            f"{name} is {size_mb(prop.size)}; a vCard property may be at most "
            f"{max_property >> 20} MB (import_limits: vcard_property_mb in kehu.yaml), "
            f"and no record can hold it")
        out += b"\r\n" * prop.lines
    else:
        out += b"".join(prop.kept)
