"""A customer as a vCard: the one home of how kehu writes one, for ``kehu export --format
vcard`` and for ``kehu serve`` (the phone's address book).

``kehu import`` reads the cards back (:mod:`kehu_core.services.importing.vcard`): kehu
fields without a vCard property travel as ``X-KEHU-<FIELD>``, so an export imports back into
kehu unchanged.

Versions: 3.0 (what iPhone and Android contacts import, and what Apple's CardDAV client wants)
and 4.0 (RFC 6350: ``TEL`` as a ``tel:`` URI, lower-case types, ``BDAY`` in the basic format,
the pinyin sort key as ``SORT-AS`` on ``N``).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any

from ..models import Customer
from ..textsearch import sort_key
from .contentlines import escaped_breaks, json_breaks

#: fields written as vCard properties of their own (the rest go as X-KEHU-<FIELD>)
VCARD_FIELDS = frozenset({"id", "name", "phones", "emails", "addresses", "organization", "title", "nickname",
                          "birthday", "tags", "notes"})
_X_NAME = re.compile(r"^[a-z0-9_]+$")
#: the field of ``X-KEHU-EXTRA-FIELDS``, which carries the fields no property can: a profile's
#: own field of that name goes inside it, never as a second property the import takes for it
EXTRA_FIELDS = "extra_fields"
#: the year Apple's contacts write for a birthday without one (``X-APPLE-OMIT-YEAR``)
APPLE_NO_YEAR = "1604"
#: what JSON text can start with (Python's json also reads NaN and Infinity)
_JSON_STARTS = frozenset('{["-0123456789tfnNI')


def vcard_of(customer: Customer | None, *, version: str = "3.0", apple: bool = False,
             computed: Mapping[str, Any] | None = None, note: str | None = None,
             uid: str | None = None, sort_as: bool = False, sort_name: str | None = None,
             data: Mapping[str, Any] | None = None) -> str:
    """``customer`` as one vCard.

    ``version``: "3.0" or "4.0"; ``apple``: a birthday without a year in Apple's form
    (1604 with ``X-APPLE-OMIT-YEAR``), which iOS shows, instead of ``--MM-DD``;
    ``computed``: values kehu computes (tier ...) as ``X-KEHU-<KEY>``, never read back as
    fields; ``note``: the NOTE instead of the customer's notes; ``uid``: the UID instead of
    the customer's id (a contact made on a phone keeps the phone's UID); ``sort_as``: the
    name's pinyin as a sort key (``SORT-AS`` in 4.0, ``X-PHONETIC-LAST-NAME``, which iOS and
    Android list by), so 赵敏 is listed under Z; ``sort_name``: that key, when the caller has it
    (the index keeps it: :meth:`kehu_core.index.Index.sort_names`), instead of working out the
    pinyin again (pypinyin's dictionary costs ~0.5 s of CPU to load in each worker process of
    ``kehu serve``); ``data``: ``customer.model_dump(mode="json")``, when the caller has it
    (kehu serve's card keeps it, its revision's source): the card is written from it alone,
    ``customer`` may then be None (a worker process of kehu serve gets a card's JSON, and
    made a model again from it only to write it: 0.3 s of CPU for 10 000 cards). Every value
    written is read from that JSON, the same text as the model's (names, phones, addresses,
    tags ... are text or lists of text).
    """
    import vobject

    four = version == "4.0"
    card = vobject.vCard()
    if four:
        _add(card, "version").value = "4.0"
    if data is None:
        assert customer is not None
        data = customer.model_dump(mode="json")
    _add(card, "fn").value = data["name"]
    family, given = split_name(data["name"])
    name = _add(card, "n")
    name.value = vobject.vcard.Name(family=family, given=given)
    phonetic = (sort_key(data["name"]) if sort_name is None else sort_name) if sort_as else ""
    if sort_as and phonetic != data["name"].lower():
        if four:
            name.params["SORT-AS"] = [phonetic]
        _add(card, "x-phonetic-last-name").value = phonetic
    _add(card, "uid").value = uid or data["id"]
    for pos, phone in enumerate(data.get("phones") or ()):
        line = _add(card, "tel")
        if four:
            line.value = f"tel:{phone}"
            line.params["VALUE"] = ["uri"]
            line.params["TYPE"] = ["cell", "voice", "pref"] if pos == 0 else ["voice"]
        else:
            line.value = phone
            line.params["TYPE"] = ["CELL", "VOICE", "pref"] if pos == 0 else ["VOICE"]
    for pos, email in enumerate(data.get("emails") or ()):
        line = _add(card, "email")
        line.value = email
        if four:
            if pos == 0:
                line.params["PREF"] = ["1"]
        else:
            line.params["TYPE"] = ["INTERNET", "pref"] if pos == 0 else ["INTERNET"]
    for address in data.get("addresses") or ():
        _add(card, "adr").value = vobject.vcard.Address(street=address)
    if data.get("organization"):
        _add(card, "org").value = [data.get("organization")]
    if data.get("title"):
        _add(card, "title").value = data.get("title")
    if data.get("nickname"):
        _add(card, "nickname").value = data.get("nickname")
    if data.get("birthday"):
        _birthday(card, data.get("birthday"), four=four, apple=apple)
    if data.get("tags"):
        _add(card, "categories").value = list(data.get("tags"))
    text = data.get("notes") if note is None else note
    if text:
        _add(card, "note").value = text
    odd: dict[str, Any] = {}
    for key, value in data.items():
        if key in VCARD_FIELDS or value in (None, [], {}, "") or (key == "do_not_contact" and not value):
            continue
        if _X_NAME.match(key) and key != EXTRA_FIELDS:
            _add(card, "x-kehu-" + key.replace("_", "-")).value = x_value(value)
        else:
            odd[key] = value
    if odd:  # field names a vCard property cannot carry (其他字段, "a b")
        _add(card, "x-kehu-" + EXTRA_FIELDS.replace("_", "-")).value = json_breaks(json.dumps(odd, ensure_ascii=False))
    for key, value in (computed or {}).items():
        if value not in (None, "", [], {}):
            _add(card, "x-kehu-" + key.replace("_", "-")).value = x_value(value)
    return serialize(card)


def serialize(card: Any) -> str:
    """``card`` as vobject writes it, with what vobject's ``serialize`` would do for nothing
    taken off: each text line is escaped once here (vobject's own encoding) instead of escaped
    for writing and unescaped again afterwards (a third of the time of a card), and the card is
    not validated against the properties kehu just added."""
    for line in card.getChildren():
        if line.isNative:  # N, ADR, ORG: as text once (vobject makes them native again after)
            line.transformFromNative()
        line.behavior.encode(line)
    out = _Written()
    card.serialize(out, lineLength=_UNFOLDED, validate=False)
    return out.getvalue()


#: the line length vobject folds at (its default: 75 octets, RFC 6350 3.2)
LINE_LENGTH = 75
#: what vobject is told: no line is that long, so vobject writes each one whole and
#: :func:`fold` folds it (vobject folds a long line a character at a time, with several
#: function calls each: a third of the time of writing a card with a long NOTE)
_UNFOLDED = 1 << 62


def fold(line: str) -> str:
    """``line`` folded as vobject's ``foldOneLine`` folds it, character for character: a line
    of fewer than 75 characters is left as it is (vobject counts characters there, not
    octets); a longer one is cut before the first character that would make the line longer
    than 75 octets (UTF-8), and each next line starts with a space and holds 74 more."""
    if len(line) < LINE_LENGTH:
        return line
    raw = line.encode()
    pieces = []
    start, room = 0, LINE_LENGTH
    while len(raw) - start > room:
        end = start + room
        while raw[end] & 0xC0 == 0x80:  # inside a character: cut before it
            end -= 1
        pieces.append(raw[start:end])
        start, room = end, LINE_LENGTH - 1  # the space that starts the next line counts
    pieces.append(raw[start:])
    return b"\r\n ".join(pieces).decode()


class _Written:
    """What vobject writes a card into, as its own StringIO would hold it, folded. vobject
    writes each line as UTF-8 bytes first and, a StringIO refusing them, catches the
    TypeError and writes the text: twice a line (and its line end). This takes both, each
    write a whole line (told no line is too long, vobject writes none in pieces) or its line
    end, and folds each line as vobject would have (:func:`fold`)."""

    __slots__ = ("parts", "write")

    def __init__(self) -> None:
        self.parts: list[str | bytes] = []
        self.write = self.parts.append

    def getvalue(self) -> str:
        return "".join([fold(escaped_breaks(part.decode() if type(part) is bytes else part))
                        for part in self.parts])


def _add(card: Any, name: str) -> Any:
    """``card.add(name)``: the line vobject makes for the property ``name``, with vobject's
    behavior for it, made as a :class:`_Line <_line_class>` where that gives the same line
    (every property kehu writes but VERSION, which vobject adds otherwise)."""
    made = _made_line(card.behavior, name)
    if made is not None:  # a copy of the line vobject made for this name (see _made_line)
        line = _line_class().__new__(_line_class())
        attributes = line.__dict__
        attributes.update(made)
        attributes["params"], attributes["singletonparams"] = {}, []  # its own, empty as made
        card.contents.setdefault(name, []).append(line)  # what Component.add does last
        return line
    if _as_line(name):
        line = _line_class()(name, [], "")
        card.add(line)  # vobject gives it its parent's behavior and its own, as add(name) does
        return line.transformToNative()  # as add(name) does: N's, ADR's and ORG's values native
    return card.add(name)


@functools.lru_cache(maxsize=1024)
def _made_line(behavior: Any, name: str) -> dict[str, Any] | None:
    """The attributes of the line :func:`_add` makes for ``name`` on a card of ``behavior``,
    as vobject made it (its constructor, ``Component.add`` and ``transformToNative``: a
    third of the time of writing a card, the same for every line of a name), when a copy of
    them is that line: a plain text line (a native value, N's or ADR's, is made each time),
    with nothing but text, None, booleans, vobject's behaviors and empty parameters. None
    otherwise (such a name is made by vobject each time)."""
    import vobject

    if not _as_line(name) or name != name.lower():
        return None
    card = vobject.vCard()
    if card.behavior is not behavior:
        return None
    line = _line_class()(name, [], "")
    card.add(line)
    if line.transformToNative() is not line or line.isNative:
        return None
    made = dict(line.__dict__)
    plain = (str, bool, type(None), type)
    if made.get("params") != {} or made.get("singletonparams") != [] or any(
            not isinstance(value, plain) for key, value in made.items() if key not in ("params", "singletonparams")):
        return None
    return made


@functools.lru_cache(maxsize=1024)
def _as_line(name: str) -> bool:
    """Whether a line of ``name`` added whole and made native in place is the line vobject's
    ``add(name)`` makes (its class aside): the same behavior, native or not alike. Asked of
    vobject itself, once a property name."""
    import vobject

    made = vobject.vCard().add(name)
    line = _line_class()(name, [], "")
    vobject.vCard().add(line)
    return (type(made) is vobject.base.ContentLine and line.transformToNative() is line
            and line.behavior is made.behavior and line.isNative == made.isNative)


@functools.cache
def _line_class() -> type:
    """vobject's content line, with the attributes vobject itself sets on a line (its name,
    value, parameters, behavior ...) set directly: vobject's ``ContentLine.__setattr__`` checks
    every attribute set for a ``_param`` suffix and a property of the class before setting it
    as Python does, 16 times a line (a third of the time of writing a card). For these names
    (none a property, none with the suffix) it ends in ``object.__setattr__``; any other name
    (``type_param``: kehu sets ``params["TYPE"]``, what it stands for) still goes through it."""
    from vobject.base import ContentLine

    names = ("group", "behavior", "parentBehavior", "isNative", "name", "encoded", "params", "singletonparams",
             "lineNumber", "value")
    plain = frozenset(n for n in names if not isinstance(getattr(ContentLine, n, None), property)
                      and not n.endswith(("_param", "_paramlist")))

    class _Line(ContentLine):
        @property
        def encoding_param(self) -> Any:
            """What vobject's ``__getattr__`` gives for it (the ENCODING parameter, set only
            through ``params``), None when there is none: vobject's text behavior asks it of
            every line it encodes, ``getattr(line, "encoding_param", None)``, and vobject's
            way raises and catches an AttributeError each time."""
            values = self.params.get("ENCODING")
            return values[0] if values else None

        def __setattr__(self, name: str, value: Any) -> None:
            if name in plain:
                object.__setattr__(self, name, value)
            else:
                ContentLine.__setattr__(self, name, value)

    return _Line


def _birthday(card: Any, birthday: str, *, four: bool, apple: bool) -> None:
    line = _add(card, "bday")
    if birthday.startswith("--"):  # no year
        if apple:
            line.value = f"{APPLE_NO_YEAR}{birthday[1:]}"
            line.params["X-APPLE-OMIT-YEAR"] = [APPLE_NO_YEAR]
        else:
            line.value = "--" + birthday[2:].replace("-", "") if four else birthday
    else:
        line.value = birthday.replace("-", "") if four else birthday


def x_value(value: Any) -> str:
    """Text as it is, unless it would read back as another type; everything else as JSON."""
    if isinstance(value, str):
        if value.lstrip()[:1] not in _JSON_STARTS:  # cannot read back as JSON: no need to try
            return value
        try:
            json.loads(value)
        except (ValueError, RecursionError):  # "[[[[…" thousands deep is text too, not a crash
            return value
    return json_breaks(json.dumps(value, ensure_ascii=False))


def split_name(name: str) -> tuple[str, str]:
    if any("\u3400" <= ch <= "\u9fff" for ch in name) or " " not in name.strip():
        return name, ""  # Chinese names are not split: 欧阳娜娜 has a two-character surname
    given, _, family = name.strip().rpartition(" ")
    return family, given
