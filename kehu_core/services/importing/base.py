"""What readers hand to the merge step, besides :class:`kehu_core.plugins.ImportedContact`.

A reader (an ``Importer``) yields one ``ImportedContact`` per contact or sheet row:

* ``fields`` uses kehu's customer field names (``name``, ``phones``, ``emails``, ``addresses``,
  ``tags``, ``birthday``, ``organization``, ``title``, ``nickname``, ``notes``, ``level``,
  ``owner``, ``id`` ...). Values are raw text: the merge step normalises phones (E.164 in the
  store's region), emails and birthdays, and names the source line when one is wrong.
* ``purchases`` are interaction dicts (``date``, ``items``, ``amount``, ``gifts``, ``paid``).
* ``extra`` is everything in the source that has no kehu field; it is kept in the record under
  ``import_extra`` so nothing is dropped. Keys starting with ``_`` are not stored: ``_skipped``
  lists what the reader deliberately left out (``PHOTO``) so the summary can say so.

A row the reader cannot make sense of is yielded as a :class:`RowProblem` instead; the rest of
the file is still imported.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from ...byte_marks import WIDE, bom_encoding
from ...i18n import _

EXTRA_KEY = "import_extra"


def unlink_referrer(record: dict[str, Any]) -> dict[str, Any]:
    """What an import does to a customer whose referrer the store's rule refuses (nobody
    here, or a loop): ``record``'s referrer moved under ``import_extra``, in place, so nothing
    is lost. Returns the new ``import_extra``."""
    extra = dict(record.get(EXTRA_KEY) or {})
    extra["referrer"] = record.pop("referrer", None)
    record[EXTRA_KEY] = extra
    return extra


@dataclass(frozen=True)
class RowProblem:
    source: str  # "contacts.vcf:12"
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


class FileProblem(RowProblem):
    """A problem that refuses the whole file it is found in (a CSV line too long or in no
    encoding kehu reads): the rows read before it are not imported either."""


@dataclass(frozen=True)
class RowWarning:
    """Something a reader left out of a file on purpose, said in the import's summary (a
    sheet's column headed by no name and empty): no problem, the import goes on."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


def is_binary(data: bytes) -> bool:
    """NUL bytes in what should be text (and is not UTF-16 or UTF-32): a picture, a zip, garbage."""
    return b"\x00" in data[:8192] and bom_encoding(data) not in WIDE


def marked_head(head: bytes) -> str | None:
    """The text of a file's first bytes (``head``, cut anywhere: a character the cut halves is
    left out) when a byte order mark says its encoding, else None. A UTF-16 big-endian sheet
    cut at its first line feed's byte (``00 0A``) was decoded as UTF-16 one byte short:
    "internal error: UnicodeDecodeError" before anything was read."""
    marked = bom_encoding(head)
    return None if marked is None else head.decode(marked, errors="ignore")


def decode_bytes(data: bytes) -> str:
    """Text of a file in UTF-8 (with or without BOM), UTF-16 (with its BOM), GBK/GB18030, or
    (only when it is none of these) whatever it most likely is.

    UTF-8 is tried first because it is strict: a GBK file practically never decodes as UTF-8;
    then GB18030, as a detector takes short GBK text for other Asian encodings.
    """
    marked = bom_encoding(data)
    if marked is not None:
        return data.decode(marked)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
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

    def __init__(self, line: int) -> None:
        self.line = line
        super().__init__(f"line {line} is neither UTF-8 nor GBK text; save the file as UTF-8 "
                         "(a sheet in Excel: Save As → CSV UTF-8) and import it again")


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


def one_field_twice(header: list[str], targets: list[str | None], adds_up: Collection[str]) -> str | None:
    """Why a sheet's header cannot be read (None: it can): two columns read as one field that
    holds one value (`name` and `Name`, 订单金额 and 实付金额, 日期 and 下单日期). The later
    column's value was taken and the other's dropped, exit 0: an export holding a field of its
    own named `Name` (a hand edit's) came back with that as the customer's name. The columns of
    a field in ``adds_up`` (phones, tags ..., or ``ignore``) add up, as before."""
    seen: dict[str, str] = {}
    for column, target in zip(header, targets, strict=False):
        if target is None or target in adds_up:
            continue
        if target in seen:
            return _("the columns {first} and {second} are both read as {field}, so one of them would be lost; "
                     "rename one, or map it to another field or to ignore in kehu.yaml's import_columns").format(
                first=repr(seen[target]), second=repr(column), field=target)
        seen[target] = column
    return None
