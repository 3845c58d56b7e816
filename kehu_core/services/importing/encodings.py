"""How the bytes of a card or a sheet become text: one rule for `kehu import` (a .vcf, a CSV)
and for a card sent to `kehu serve` (``serve/intake.py``).

The evidence, in order: a byte order mark; UTF-16 without one when the bytes plainly are (NUL
bytes every other byte of ASCII text, ``byte_marks.head_encoding``); UTF-8, which is strict (GBK
bytes practically never read as UTF-8); a charset the sender declares (a request's
``Content-Type``), only when the bytes do not contradict it; GBK/GB18030 (Chinese Windows'
"ANSI" exports, old phones); then a guess, only when none of these reads the bytes. A line no
encoding reads is refused with its number (:class:`EncodingProblem`).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

from ...byte_marks import bom_encoding, head_encoding, is_wide
from ...i18n import _

#: codecs Python finds by a charset's name that are no character set of text: decoding a value
#: with them is no reading of it, and punycode's (idna's too) takes time growing with the square
#: of its length: a 900 KB name took 17 s of CPU, a file of such cards hours
NOT_CHARSETS = frozenset({"punycode", "idna", "unicode-escape", "raw-unicode-escape", "undefined"})

#: what a text's ASCII structure looks like: a charset that reads these bytes otherwise
#: (UTF-16, UTF-32, UTF-7's ``+``) is contradicted by any card or sheet's bytes that lack its
#: own evidence (their NUL bytes, which :func:`.byte_marks.head_encoding` looks for first)
_ASCII_PROBE = b"BEGIN:VCARD\r\nname,phone;a=b\t0-9\n"


def is_text_codec(codec: codecs.CodecInfo) -> bool:
    """A codec that is a character set of text (not :data:`NOT_CHARSETS`, not bytes to bytes
    as ``zlib``)."""
    return codec.name not in NOT_CHARSETS and getattr(codec, "_is_text_encoding", True)


def _declared_codec(declared: str) -> str | None:
    """The codec of a declared charset when it is one of text that keeps ASCII as ASCII, else
    None: a name Python does not know, no character set, or one the bytes' lack of NUL bytes
    contradicts (a GBK card declared UTF-16 was read as UTF-16 and refused by `kehu serve`,
    while `kehu import` read the same bytes as GBK)."""
    try:
        codec = codecs.lookup(declared)
    except LookupError:
        return None
    if not is_text_codec(codec) or is_wide(codec.name):
        return None
    try:
        keeps_ascii = codec.decode(_ASCII_PROBE)[0] == _ASCII_PROBE.decode("ascii")
    except (UnicodeDecodeError, ValueError):
        return None
    return codec.name if keeps_ascii else None


def is_binary(data: bytes) -> bool:
    """NUL bytes in what should be text (and is not UTF-16 or UTF-32): a picture, a zip, garbage."""
    return b"\x00" in data[:8192] and not is_wide(head_encoding(data[:8192]))


def marked_head(head: bytes) -> str | None:
    """The text of a file's first bytes (``head``, cut anywhere: a character the cut halves is
    left out) when they say their encoding (:func:`.byte_marks.head_encoding`: a byte order
    mark, or UTF-16 without one), else None. A UTF-16 big-endian sheet cut at its first line
    feed's byte (``00 0A``) was decoded as UTF-16 one byte short: "internal error:
    UnicodeDecodeError" before anything was read."""
    marked = head_encoding(head)
    return None if marked is None else head.decode(marked, errors="ignore")


def decode_bytes(data: bytes, declared: str = "") -> str:
    """Text of a file (or a request's body) by the evidence of the module's order: its mark or
    UTF-16's NUL bytes, UTF-8, the charset ``declared`` for it (a request's) when the bytes do
    not contradict it, GBK/GB18030, and (only when it is none of these) whatever it most likely
    is. :class:`EncodingProblem` names the first line no encoding reads."""
    marked = head_encoding(data[:8192])
    if marked is not None:
        try:
            return data.decode(marked)
        except UnicodeDecodeError as exc:
            if bom_encoding(data) is not None:  # a mark the bytes after it contradict: refused at the line
                # (UTF-8's mark before GBK text ended `kehu import` in "internal error")
                line = data[:exc.start].decode(marked, errors="ignore").count("\n") + 1
                raise EncodingProblem(line, marked) from None
            # only the head's NUL bytes said UTF-16: the rest of the evidence reads it
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    codec = _declared_codec(declared) if declared else None
    if codec is not None:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass  # a charset the bytes are not in: read as a file would be
    lines = data.splitlines(keepends=True)
    if any(not line.isascii() and _is_utf8(line) for line in lines):
        return _decode_mixed(lines)  # some lines UTF-8, others not: a sheet pasted together from two sources
    # Chinese Excel saves "ANSI" CSV as GBK, old phones write GBK vCards: GB18030 (GBK's
    # superset) before any guess. A detector asked first took a short GBK file for Big5 or
    # Korean (cp949): 王芳 was imported as 卼滂 or 珙렐 with exit 0.
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # another legacy encoding (Windows-1252's José)

    best = from_bytes(data).best()
    try:
        return data.decode(best.encoding if best is not None else "gb18030")
    except (UnicodeDecodeError, LookupError):
        return _decode_mixed(lines)  # names the first line no encoding reads


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class EncodingProblem(ValueError):
    """A line of a text file that is neither UTF-8 nor GBK/GB18030: refused, never guessed
    (a guess imported mojibake names with exit 0)."""

    def __init__(self, line: int, encoding: str | None = None) -> None:
        self.line = line
        if encoding is not None:  # the encoding the file's first bytes say (its mark, UTF-16's NUL bytes)
            super().__init__(_("line {line} is no {encoding} text, though the file's first bytes say it is; save "
                               "the file as UTF-8 (a sheet in Excel: Save As → CSV UTF-8) and import it again").format(
                line=line, encoding=wide_label(encoding)))
            return
        super().__init__(_("line {line} is neither UTF-8 nor GBK text; save the file as UTF-8 (a sheet in Excel: "
                           "Save As → CSV UTF-8) and import it again").format(line=line))


def wide_label(encoding: str) -> str:
    """``UTF-16`` for ``utf-16-le`` and the like: an encoding as a person names it."""
    return encoding.upper().replace("-SIG", "").replace("-LE", "").replace("-BE", "")


#: a UTF-16 surrogate left alone, as ``surrogatepass`` carries it: no UTF-16 text
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def marked_errors(encoding: str) -> str:
    """How a file its first bytes say is ``encoding`` is decoded for :func:`wide_lines`: what
    is no such text kept as lone surrogates, found at its line."""
    return "surrogatepass" if is_wide(encoding) else "surrogateescape"


def wide_lines(lines: Iterator[str], encoding: str, first: int = 1) -> Iterator[str]:
    """``lines`` of a file read as ``encoding`` (its mark's or UTF-16's, with
    :func:`marked_errors`), each as it is; :class:`EncodingProblem` at the first (counted from ``first``) holding
    what is no such text. A file of Windows' "Unicode" with a lone surrogate ended
    `kehu import` of a .vcf in "internal error: UnicodeDecodeError" and a sheet in Python's
    words at line 1."""
    number = first
    try:
        for line in lines:
            if LONE_SURROGATE.search(line):
                raise EncodingProblem(number, encoding)
            number += line.endswith(("\n", "\r"))
            yield line
    except UnicodeDecodeError:  # a byte left over at the end, a code point past U+10FFFF
        raise EncodingProblem(number, encoding) from None


def _decode_mixed(lines: list[bytes]) -> str:
    """Each line as :func:`decode_line` reads it."""
    return "".join(decode_line(line, number) for number, line in enumerate(lines, 1))


def decode_line(line: bytes, number: int) -> str:
    """``line`` (the ``number``-th) as UTF-8 if it is, else as GB18030 (GBK's superset) if it
    is; a line that is neither is refused with its number (:class:`EncodingProblem`)."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return line.decode("gb18030")
        except UnicodeDecodeError:
            raise EncodingProblem(number) from None
