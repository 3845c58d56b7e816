"""Content lines, the text of vCard (RFC 6350) and iCalendar (RFC 5545): one home for where
such a line ends, when kehu writes one and when it reads one.

A content line ends at CRLF (a reader takes CR or LF alone too); a line break inside a value
is escaped as ``\\n``. Unicode has line breaks of its own that the standards do not escape
and that records may hold (pasted from chat apps): NEL (U+0085), LINE SEPARATOR (U+2028) and
PARAGRAPH SEPARATOR (U+2029). A reader that ends lines where Python's ``str.splitlines``
does (kehu's own vCard import did) took a name ``"A\\u0085TEL:+86…"`` for a name and a phone
line: a colleague's record could slip properties (a phone, an e-mail, a whole card) into an
export or a ``kehu serve`` address book. Such characters are written as ``\\n`` here, and
read as part of their line.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

#: line breaks a reader may end a line at that vCard and iCalendar do not escape
UNICODE_BREAKS = ("\x85", "\u2028", "\u2029")


def escaped_breaks(text: str) -> str:
    """``text`` with each of :data:`UNICODE_BREAKS` as the escaped line break ``\\n``, as
    a vCard or an iCalendar value writes a line break."""
    if text.isascii():
        return text
    for char in UNICODE_BREAKS:
        if char in text:
            text = text.replace(char, "\\n")
    return text


def json_breaks(text: str) -> str:
    """JSON ``text`` (a value kehu writes as JSON in an ``X-KEHU-*`` property) with each of
    :data:`UNICODE_BREAKS` as its JSON escape, so it reads back as the same character."""
    for char in UNICODE_BREAKS:
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def ical_bytes(calendar: Any) -> bytes:
    """An icalendar ``Calendar`` as bytes, with :func:`escaped_breaks` (icalendar escapes CR
    and LF in a value, not these)."""
    raw = calendar.to_ical()
    if raw.isascii():
        return raw
    return escaped_breaks(raw.decode("utf-8")).encode("utf-8")


def content_lines(text: str) -> Iterator[str]:
    """``text`` cut into lines at CRLF, CR or LF only, never at :data:`UNICODE_BREAKS` (as
    ``str.splitlines`` cuts), one at a time: a file of 30 million blank lines made a list of
    30 million strings."""
    for line in io.StringIO(text, newline=""):  # newline="": lines end at CR, LF or CRLF only
        yield line.rstrip("\r\n")


def write_calendar(handle: BinaryIO, calendar: Any, events: Iterable[Any]) -> int:
    """The iCalendar ``calendar`` holding ``events`` (icalendar's), written to ``handle`` event
    by event as :func:`ical_bytes` of it whole would be: a calendar made whole first held every
    event as an object (615 MB for the 72 000 events of 10 000 customers). Returns how many."""
    head, end = ical_bytes(calendar), b"END:VCALENDAR\r\n"
    handle.write(head.removesuffix(end))
    count = 0
    for event in events:
        handle.write(ical_bytes(event))
        count += 1
    handle.write(end)
    return count
