"""What no record holds, whatever its kind: fields nested past :data:`MAX_DEPTH`, a control
character, a noncharacter, a whole number of more than 18 digits (a broken or hostile file)."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    ValidationInfo,
)

from ..i18n import _

#: How deep the fields of a record may nest (a mapping in a list in a mapping ...): deeper is
#: a broken or hostile file, which would otherwise hit recursion limits further on.
MAX_DEPTH = 32

#: How many values a record may hold in all (each key, text, number and list item counts):
#: within a record's 2 MiB, a field of a million short values (`extra: [0, 0, …]`) took the
#: round-trip editor 182 s and 1.9 GB for one `customer set`. A sale of 10 000 items is 70 000;
#: a profile of 25 000 customers merged into it (`also_known`) about 175 000.
MAX_VALUES = 200_000

#: How many fields a record may hold (a profile: kehu's own, the plugins' and the shop's own
#: together; a sheet of a few hundred columns fits): 100 000 fields of its own in a profile (1 MB,
#: within its 2 MiB and its values) took `customer set` 28 s, the round-trip editor's cost of
#: each line, and a plugin's or a template's reader as long (``too_many_fields``)
MAX_FIELDS = 1_000


class TooDeep(ValueError):
    """A value nested deeper than :data:`MAX_DEPTH`; ``loc`` is the first key found too deep,
    so the problem is reported at its line (``kehu_core.problems.validation_problems``)."""

    def __init__(self, message: str, loc: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.loc = loc


#: characters no text of a record holds: the C0 controls but tab, line feed and carriage return,
#: DEL, and the C1 controls but NEL (U+0085, which chat apps paste). ESC in a name would drive the
#: terminal of whoever lists it (clear the screen, retitle the window, hide what follows); YAML
#: writes such characters escaped ("\e"), so a file holding them parses, and only this refuses them.
CONTROL_CHARACTERS = "".join(chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20),
                                                *range(0x7F, 0x85), *range(0x86, 0xA0)))
_CONTROL = re.compile(f"[{re.escape(CONTROL_CHARACTERS)}]")


#: half of a UTF-16 pair, no character: what a JSON "\ud800" (a vCard's X-KEHU-* value) or an
#: argument's byte that is not UTF-8 decodes to; no file, index or terminal holds one, and a
#: record holding it ended its write in "internal error: UnicodeEncodeError"
_SURROGATE = re.compile("[\ud800-\udfff]")

#: the 66 code points Unicode keeps as no character (its noncharacters: U+FDD0 to U+FDEF, and the
#: last two of each plane, U+FFFE and U+FFFF first): XML holds no U+FFFE or U+FFFF, so a name
#: holding one (a sheet's cell, `customer set`, a hand edit, with `check` ok) ended every xlsx
#: export in "internal error: ValueError: All strings must be XML compatible"
NONCHARACTERS = "".join(chr(c) for c in (*range(0xFDD0, 0xFDF0),
                                         *(plane + end for plane in range(0, 0x110000, 0x10000)
                                           for end in (0xFFFE, 0xFFFF))))
_NONCHARACTER = re.compile(f"[{re.escape(NONCHARACTERS)}]")


def _field_shown(loc: tuple[str | int, ...]) -> str:
    """Where a value is, as a message names it: a field's name (from the file) with what is
    not printable written as an escape (``a\\x1bb``), so the message shows which name it is
    and never drives the terminal of whoever reads it (`kehu check` printed a key's ESC)."""
    if not loc:
        return _("the record")
    return ".".join(part if isinstance(part, str) and part.isprintable() else escaped_text(str(part))
                    for part in loc)


def escaped_text(text: str) -> str:
    """``text`` with each character that is not printable as an escape (``\\x1b``, ``\\u202e``)."""
    return "".join(c if c.isprintable() else (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
                   for c in text)


def _control_problem(text: str, loc: tuple[str | int, ...]) -> TooDeep | None:
    if text.isprintable():  # the common case, in C: no control character at all
        return None
    found = _CONTROL.search(text)
    field = _field_shown(loc)
    if found is None:
        half = _SURROGATE.search(text)
        if half is None:
            odd = _NONCHARACTER.search(text)
            if odd is None:
                return None
            return TooDeep(_("{field}: holds U+{code:04X}, which Unicode keeps as no character (a noncharacter, "
                             "for no file to hold); records hold text only (remove it)").format(
                field=field, code=ord(odd.group())), loc)
        return TooDeep(_("{field}: holds U+{code:04X}, half of a UTF-16 pair and no character; records hold "
                         "text only (remove it)").format(field=field, code=ord(half.group())), loc)
    return TooDeep(_("{field}: holds the control character U+{code:04X}; records hold text only "
                     "(remove it)").format(field=field, code=ord(found.group())), loc)


#: what ends a line: a one-line text (a name, a tag, an item) holding one broke every listing
#: of one row per customer, CSV readers and a vCard's FN; NEL (U+0085) is here, where the
#: control rule above lets it through for texts of many lines (notes)
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
#: the bidirectional embeddings, overrides and isolates: U+202E turns what follows around, so
#: "\u202egnp.exe" shows as "exe.png" in the TUI and a report (a name made to read as another)
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
#: what a text of one line never holds (a customer's name, a tag, an item's name, the shop's
#: name in kehu.yaml: ``config``), the one home of that rule
NOT_IN_ONE_LINE = re.compile(f"[{re.escape(LINE_BREAKS + BIDI_CONTROLS)}]")


def on_one_line(text: str) -> str:
    """A text of many lines (a note, a complaint's text) quoted where one line is shown (a
    reminder's detail): each run of line breaks a space, direction controls left out."""
    if text.isprintable():
        return text
    return " ".join(part for part in re.split(f"[{re.escape(LINE_BREAKS)}]+", NOT_IN_ONE_LINE.sub(
        lambda m: m.group() if m.group() in LINE_BREAKS else "", text)) if part.strip())


def one_line_problem(text: str) -> str | None:
    """Why ``text`` is not one line of text (a line break, a direction control), or None."""
    if text.isprintable():  # the common case, in C: neither (both are unprintable)
        return None
    found = NOT_IN_ONE_LINE.search(text)
    if found is None:
        return None
    code = ord(found.group())
    if found.group() in LINE_BREAKS:
        return _("holds the line break U+{code:04X}; this field is one line of text (write more in the "
                 "notes)").format(code=code)
    return _("holds U+{code:04X}, a control that reverses or reorders how the text reads; this field "
             "is one line of plain text (remove it)").format(code=code)


def _one_line(value: str, info: ValidationInfo) -> str:
    if info.context and info.context.get("indexed"):
        return value  # checked when its file was read, and written by kehu since
    stripped = value.strip()
    problem = one_line_problem(stripped)
    if problem is not None:
        raise ValueError(problem)
    # spaces or a line break at an end (a cell's, a paste's, an IME's ideographic space) are
    # taken off at every door, as an import took them off a cell: `--owner " 王芳"` was stored
    # as typed, and then no `--owner 王芳` list, handover, visit plan or rep's address book had it.
    # A text of spaces alone is left as it is: made empty, a save would drop it (no field, where
    # it was one), and the fields that must show something say so themselves (a name, an item)
    return stripped if stripped else value


#: the check of a text of one line: no line break, no direction control (:func:`one_line_problem`);
#: after a ``Field(max_length=...)`` in an ``Annotated``, so the length keeps its own message
#: (before it, pydantic checks the length as of a generic value: "at most 64 items")
ONE_LINE = AfterValidator(_one_line)
OneLine = Annotated[str, ONE_LINE]


#: the most digits of a whole number in a record: what SQLite (the index) and JSON readers keep
#: exactly; one of 5 000 digits (a hand edit) ended `customer show`, `list --json` and every
#: export in "internal error" (Python writes no int of over 4 300 digits as text)
_INT_DIGITS = 18
_BIGGEST_INT = 10 ** _INT_DIGITS - 1


def too_deep(data: Any, limit: int = MAX_DEPTH, *, controls: bool = True) -> TooDeep | None:
    """Where ``data`` nests deeper than ``limit``, or holds a control character in a key or a
    text, or a whole number of more than 18 digits, or more than :data:`MAX_VALUES` values
    (None: none of these; ``controls=False``: the nesting only, for kehu.yaml). Iterative, so a
    file nested thousands of levels deep costs no recursion."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    counted = 0
    while stack:
        value, loc = stack.pop()
        counted += 1
        if controls and counted > MAX_VALUES:
            return TooDeep(_("{field}: the record holds more than {limit} values (keys, texts, numbers, list "
                             "items) with this field; records hold at most {limit}").format(
                field=_field_shown(loc[:1]), limit=MAX_VALUES), loc[:1])
        if len(loc) > limit:
            field = _field_shown(loc[:1])
            return TooDeep(_("{field}: nested more than {limit} levels deep; records are at most {limit}").format(
                field=field, limit=limit), loc)
        if controls and isinstance(value, str):
            found = _control_problem(value, loc)
            if found is not None:
                return found
        elif controls and isinstance(value, float) and not math.isfinite(value):
            return TooDeep(f"{_field_shown(loc)}: {no_number_problem()}", loc)
        elif controls and isinstance(value, int) and too_many_digits(value):
            return TooDeep(too_many_digits_problem(_field_shown(loc)), loc)
        if isinstance(value, dict):
            for k, v in value.items():
                if controls and isinstance(k, str) and (found := key_problem(k, (*loc, k))) is not None:
                    return found
                stack.append((v, (*loc, k)))
        elif isinstance(value, (list, tuple)):
            stack.extend((v, (*loc, i)) for i, v in enumerate(value))
    return None


def too_many_digits(value: int) -> bool:
    """Whether ``value`` has more digits than a record's whole number may (``_INT_DIGITS``)."""
    return not -_BIGGEST_INT <= value <= _BIGGEST_INT


def too_many_digits_problem(field: str) -> str:
    return _("{field}: a whole number of more than {digits} digits; records hold at most "
             "{digits} (put it in quotes if it is text, such as an account number)").format(
        field=field, digits=_INT_DIGITS)


def no_number_problem() -> str:
    """Why a record holds no NaN nor an infinity (YAML's ``.nan``, ``.inf``; a plugin's float
    field given ``nan``): JSON has neither — `customer show --json` wrote ``NaN``, which no
    JSON reader but Python's reads — and the index keeps each as nothing, so `list --json` and
    the exports said null of a value `kehu check` took."""
    return _("NaN or an infinity, which is no number; records hold finite numbers (put it in quotes if it "
             "is text)")


def key_problem(key: str, loc: tuple[str | int, ...]) -> TooDeep | None:
    """A field's name is one line of plain text: a control character, a line break or a
    direction control in one (a colleague's hand edit: `"x\\nTier  VIP": 1`) showed in `customer
    show` as lines of its own, and reached export headers as it was, with `kehu check` ok."""
    found = _control_problem(key, loc)
    if found is not None or key.isprintable():
        return found
    bad = NOT_IN_ONE_LINE.search(key)
    if bad is None:
        return None
    return TooDeep(_("{field}: a field's name holds U+{code:04X}, a line break or a control of how text "
                     "reads; a field's name is one line of plain text (rename it)").format(
        field=_field_shown(loc), code=ord(bad.group())), loc)


def nesting_problem(data: Any, limit: int = MAX_DEPTH) -> str | None:
    """What :func:`too_deep` finds, as a message."""
    found = too_deep(data, limit)
    return None if found is None else str(found)


def too_many_fields(data: Any) -> TooDeep | None:
    """A record of more than :data:`MAX_FIELDS` fields, at the first one past them: asked by the
    models (every door, and `kehu check` at that line, :func:`refuse_deep`) and by the round-trip
    editor before it reads such a file (``yamlio.reading``)."""
    if not isinstance(data, dict) or len(data) <= MAX_FIELDS:
        return None
    first = next(name for i, name in enumerate(data) if i == MAX_FIELDS)
    return TooDeep(_("{field}: the record holds {count} fields; a record holds at most {limit} (kehu's own, "
                     "the plugins' and the shop's own together)").format(
        field=escaped_text(str(first)), count=len(data), limit=MAX_FIELDS), (first,))


def refuse_deep(data: Any, info: ValidationInfo | None = None) -> Any:
    if info is not None and info.context and info.context.get("indexed"):
        return data  # checked when its file was read, and written by kehu since
    found = too_many_fields(data) or too_deep(data)
    if found is not None:
        raise found
    return data
