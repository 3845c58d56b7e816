"""A vCard file's text as vobject is to read it: cut into cards at ``BEGIN:VCARD`` lines (each
with the line it starts on, so a broken card is reported there and does not stop the others),
and each card's lines mended where vobject reads them wrong: vCard 2.1 quoted-printable soft
line breaks joined, text values some phones write in BASE64 decoded, commas of text values
escaped. :mod:`.vcard` reads the cards into contacts.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator

from ...i18n import _
from ..contentlines import content_lines
from .encodings import is_text_codec

#: pictures, sounds and keys: binary, never text to mend (nor data kehu imports)
BINARY = {"PHOTO", "LOGO", "SOUND", "KEY"}


def split_cards(text: str) -> Iterator[tuple[int, str]]:
    """Each ``BEGIN:VCARD`` ... ``END:VCARD`` block with the line number it starts on. A card
    whose END is missing ends where the next begins (at the end of the text, too); a card
    whose lines go on after another card's END (a card within a card: vCard 2.1's AGENT) is
    one block holding both, from its BEGIN to its own END, for :func:`nested_begin` to refuse:
    it was cut at the inner BEGIN, and the outer card's lines after the inner END were dropped
    unsaid."""
    start = None
    lines: list[str] = []
    # a card a BEGIN:VCARD came inside, and the lines after that inner card's END: until the
    # next line that is not blank tells whether the outer card goes on (nested) or lacked its END
    outer: tuple[int, list[str]] | None = None
    inner: tuple[int, list[str]] | None = None
    after: list[str] = []
    for number, line in enumerate(content_lines(text), 1):  # never at U+2028 (splitlines)
        upper = line.strip().upper()
        if inner is not None and not upper:
            after.append(line)
            continue
        if inner is not None:
            assert outer is not None
            if upper != "BEGIN:VCARD":  # the outer card goes on: one block of both
                start, lines = outer[0], [*outer[1], *inner[1], *after, line]
                outer = inner = None
                after = []
                if upper == "END:VCARD":
                    yield start, "\r\n".join(lines) + "\r\n"
                    start, lines = None, []
                continue
            yield outer[0], "\r\n".join([*outer[1], "END:VCARD"]) + "\r\n"
            yield inner[0], "\r\n".join(inner[1]) + "\r\n"
            outer = inner = None
            after = []
        if upper == "BEGIN:VCARD":
            if start is not None:  # a card without END, or one holding this one
                if outer is not None:
                    yield outer[0], "\r\n".join([*outer[1], "END:VCARD"]) + "\r\n"
                outer = (start, lines)
            start, lines = number, [line.strip()]
        elif start is not None:
            lines.append(line)
            if upper == "END:VCARD":
                if outer is not None:
                    inner = (start, lines)
                else:
                    yield start, "\r\n".join(lines) + "\r\n"
                start, lines = None, []
    if inner is not None:
        assert outer is not None
        yield outer[0], "\r\n".join([*outer[1], "END:VCARD"]) + "\r\n"
        yield inner[0], "\r\n".join(inner[1]) + "\r\n"
    elif outer is not None:
        yield outer[0], "\r\n".join([*outer[1], "END:VCARD"]) + "\r\n"
    if start is not None:
        yield start, "\r\n".join([*lines, "END:VCARD"]) + "\r\n"


def no_card() -> str:
    """What is said of a text holding no card, a file's or a body's."""
    return _("no BEGIN:VCARD found; is this a vCard file?")


def nested_begin(chunk: str) -> tuple[int, str] | None:
    """The offset and the text of a second ``BEGIN:`` line in one card's text (a card, or an
    event or any object, within the card, which kehu does not read), or None."""
    begins = ((n, line.strip()) for n, line in enumerate(chunk.split("\r\n"))
              if line.strip().upper().startswith("BEGIN:"))
    next(begins, None)
    return next(begins, None)


def join_soft_breaks(chunk: str) -> str:
    """Join quoted-printable continuation lines (vCard 2.1) and folded lines, drop blank lines
    after PHOTO, and escape the commas of text values (:func:`_comma_as_text`)."""
    return "\r\n".join(_text_line(line) for _n, line in _properties(chunk)) + "\r\n"


def property_lines(chunk: str, first: int) -> dict[str, list[tuple[int, str]]]:
    """The line of the file each property of a card (``chunk``, which begins at line ``first``)
    begins on, by its name as vobject gives it (``TEL``; a group's ``item1.`` left out, ``_`` read
    as ``-``), in order, each with its name as the file writes it: where a message
    about a property's value points. The lines :func:`join_soft_breaks` joins are counted as
    the file holds them (vobject's own count is not the file's)."""
    lines: dict[str, list[tuple[int, str]]] = {}
    for offset, line in _properties(chunk):
        written = property_name(line)
        lines.setdefault(written.replace("_", "-"), []).append((first + offset, written))
    return lines


def property_name(line: str) -> str:
    """The name of the property a content line holds, upper case, a group's ``item1.`` left
    out (``item1.email;type=INTERNET:a@b.cn``: ``EMAIL``): what is mended, and where a line is
    counted, by the same name."""
    return line.split(":", 1)[0].split(";")[0].split(".")[-1].strip().upper()


def _properties(chunk: str) -> list[tuple[int, str]]:
    """The card's properties, each one line with its continuations joined (quoted-printable
    soft breaks of vCard 2.1, folded lines), with the offset of the line it begins on; blank
    lines dropped (Android puts one after a base64 PHOTO; vobject chokes on it)."""
    out: list[tuple[int, str]] = []
    joining = False
    for offset, line in enumerate(chunk.split("\r\n")):
        if joining:
            out[-1] = (out[-1][0], out[-1][1][:-1] + line)  # drop the soft-break '='
            joining = line.endswith("=")
            continue
        if not line.strip():
            continue
        if line[0] in " \t" and out:  # a folded line: its property's commas are judged whole
            out[-1] = (out[-1][0], out[-1][1] + line[1:])
            continue
        out.append((offset, line))
        joining = "QUOTED-PRINTABLE" in line.split(":", 1)[0].upper() and line.endswith("=")
    return out


def _text_line(line: str) -> str:
    """One unfolded content line as vobject is to read it: a BASE64 text decoded, commas of a
    text value escaped."""
    head = line.split(":", 1)[0]
    name = property_name(line)
    if name in BINARY:
        return line
    refuse_non_charsets(head)
    if _BASE64_TEXT.search(head.upper()):
        line = _decode_base64_text(line)
        head = line.split(":", 1)[0]
    head, colon, value = line.partition(":")
    quoted = "QUOTED-PRINTABLE" in head.upper()
    if not colon or name in _COMMA_LISTS or ("," not in value and not (quoted and "=2" in value)):
        return line
    return head + colon + _comma_as_text(value, quoted_printable=quoted)


def refuse_non_charsets(head: str) -> None:
    """ValueError when a property's ``CHARSET=`` (``head``: its name and parameters) names a
    codec that is no character set (:func:`.encodings.is_text_codec`: punycode, or one that turns
    bytes into bytes, as ``zlib`` does), before anything decodes its value; a name Python does
    not know is left to the reader, as before (an old Mac's ``X-MAC-CHINESESIMP``)."""
    import codecs

    for param in head.split(";")[1:]:
        key, _eq, charset = param.partition("=")
        if key.strip().upper() != "CHARSET":
            continue
        try:
            codec = codecs.lookup(charset.strip())
        except LookupError:
            continue
        if not is_text_codec(codec):
            raise ValueError(_("{property}: CHARSET={charset} is no character set of text").format(
                property=head.split(";")[0], charset=charset.strip()[:40]))


# Properties whose value is a list or has parts, where a comma separates values (RFC 6350);
# vobject cuts these as kehu reads them.
_COMMA_LISTS = {"N", "ADR", "CATEGORIES"}
_PLAIN_COMMA = re.compile(r"(\\[\s\S])|,")
_QP_COMMA = re.compile(r"((?:\\|=5[cC])(?:=[0-9A-Fa-f]{2}|[\s\S]))|,|=2[cC]")


def _comma_as_text(value: str, *, quoted_printable: bool) -> str:
    """``value`` with each comma not yet escaped as ``\\,``. vobject reads a text value as a
    list cut at its commas and keeps the first: a phone's export writing ``FN:Smith, John`` or
    ``X-KEHU-HOBBY:tea, chess`` unescaped (RFC 6350 asks for ``\\,``, vCard 2.1 has no such
    escape) lost all after the comma, and a comma in an ``ORG`` part was an internal error. A
    comma kehu wrote is escaped already, so its own cards read as before. In quoted-printable
    a comma may be ``=2C`` and a backslash ``=5C``."""
    if quoted_printable:
        return _QP_COMMA.sub(lambda m: m.group(1) or "\\" + m.group(), value)
    return _PLAIN_COMMA.sub(lambda m: m.group(1) or "\\,", value)


_BASE64_TEXT = re.compile(r";ENCODING=(?:BASE64|B)(?:;|$)")


def _decode_base64_text(line: str) -> str:
    """A text property (N, FN, NOTE) some phones write in BASE64: decoded here, because vobject
    only decodes binary ones; a value that is not BASE64 fails the card instead of becoming
    the customer's name."""
    head, _sep, value = line.partition(":")
    params = [p for p in head.split(";") if not re.fullmatch(r"(?i)ENCODING=(BASE64|B)", p)]
    charset = next((p.split("=", 1)[1] for p in params if p.upper().startswith("CHARSET=")), "utf-8")
    parts = []
    for part in value.strip().split(";"):  # N and ADR encode each component on its own
        try:
            text = base64.b64decode(part, validate=True).decode(charset)
        except (binascii.Error, UnicodeDecodeError, LookupError):
            raise ValueError(_("{property}: broken BASE64 value {value}").format(
                property=params[0], value=repr(value[:20]))) from None
        parts.append(text.replace("\r\n", "\n").replace("\n", "\\n").replace(";", "\\;"))
    return ";".join(params) + ":" + ";".join(parts)
