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

import json
import re
from collections.abc import Mapping
from typing import Any

from ..models import Customer
from ..textsearch import sort_key

#: fields written as vCard properties of their own (the rest go as X-KEHU-<FIELD>)
VCARD_FIELDS = frozenset({"id", "name", "phones", "emails", "addresses", "organization", "title", "nickname",
                          "birthday", "tags", "notes"})
_X_NAME = re.compile(r"^[a-z0-9_]+$")
#: the year Apple's contacts write for a birthday without one (``X-APPLE-OMIT-YEAR``)
APPLE_NO_YEAR = "1604"


def vcard_of(customer: Customer, *, version: str = "3.0", apple: bool = False,
             computed: Mapping[str, Any] | None = None, note: str | None = None,
             uid: str | None = None, sort_as: bool = False) -> str:
    """``customer`` as one vCard.

    ``version``: "3.0" or "4.0"; ``apple``: a birthday without a year in Apple's form
    (1604 with ``X-APPLE-OMIT-YEAR``), which iOS shows, instead of ``--MM-DD``;
    ``computed``: values kehu computes (tier ...) as ``X-KEHU-<KEY>``, never read back as
    fields; ``note``: the NOTE instead of the customer's notes; ``uid``: the UID instead of
    the customer's id (a contact made on a phone keeps the phone's UID); ``sort_as``: the
    name's pinyin as a sort key (``SORT-AS`` in 4.0, ``X-PHONETIC-LAST-NAME``, which iOS and
    Android list by), so 赵敏 is listed under Z.
    """
    four = version == "4.0"
    card = _Card()
    if four:
        card.add("version", "4.0", raw=True)
    else:
        card.add("version", "3.0", raw=True)  # what vobject's vCard 3.0 writes when none is given
    data = customer.model_dump(mode="json")
    card.add("fn", customer.name)
    family, given = split_name(customer.name)
    name_params: dict[str, list[str]] = {}
    phonetic = sort_key(customer.name) if sort_as else ""
    if sort_as and phonetic != customer.name.lower():
        if four:
            name_params["SORT-AS"] = [phonetic]
        card.add("x-phonetic-last-name", phonetic)
    card.add("n", _fields([family, given, "", "", ""]), name_params, raw=True)
    card.add("uid", uid or customer.id)
    for pos, phone in enumerate(customer.phones):
        if four:
            card.add("tel", f"tel:{phone}", {"VALUE": ["uri"],
                                              "TYPE": ["cell", "voice", "pref"] if pos == 0 else ["voice"]})
        else:
            card.add("tel", phone, {"TYPE": ["CELL", "VOICE", "pref"] if pos == 0 else ["VOICE"]})
    for pos, email in enumerate(customer.emails):
        if four:
            card.add("email", email, {"PREF": ["1"]} if pos == 0 else None)
        else:
            card.add("email", email, {"TYPE": ["INTERNET", "pref"] if pos == 0 else ["INTERNET"]})
    for address in customer.addresses:
        card.add("adr", _fields(["", "", address, "", "", "", ""]), raw=True)
    if customer.organization:
        card.add("org", _fields([customer.organization]), raw=True)
    if customer.title:
        card.add("title", customer.title)
    if customer.nickname:
        card.add("nickname", customer.nickname)
    if customer.birthday:
        _birthday(card, customer.birthday, four=four, apple=apple)
    if customer.tags:
        card.add("categories", ",".join(_escape(tag) for tag in customer.tags), raw=True)
    text = customer.notes if note is None else note
    if text:
        card.add("note", text)
    odd: dict[str, Any] = {}
    for key, value in data.items():
        if key in VCARD_FIELDS or value in (None, [], {}, "") or (key == "do_not_contact" and not value):
            continue
        if _X_NAME.match(key):
            card.add("x-kehu-" + key.replace("_", "-"), x_value(value))
        else:
            odd[key] = value
    if odd:  # field names a vCard property cannot carry (其他字段, "a b")
        card.add("x-kehu-extra-fields", json.dumps(odd, ensure_ascii=False))
    for key, value in (computed or {}).items():
        if value not in (None, "", [], {}):
            card.add("x-kehu-" + key.replace("_", "-"), x_value(value))
    return card.text()


def _birthday(card: _Card, birthday: str, *, four: bool, apple: bool) -> None:
    if birthday.startswith("--"):  # no year
        if apple:
            card.add("bday", f"{APPLE_NO_YEAR}{birthday[1:]}", {"X-APPLE-OMIT-YEAR": [APPLE_NO_YEAR]})
        else:
            card.add("bday", "--" + birthday[2:].replace("-", "") if four else birthday)
    else:
        card.add("bday", birthday.replace("-", "") if four else birthday)


# --- writing the text -----------------------------------------------------------------------
# A card used to be built with vobject and serialized by it (~1 ms a card: a phone's first
# sync of 10 000 customers spent 10 s of CPU there). It is written directly now, byte for
# byte as vobject 0.9 wrote it (tests/test_vcards.py reads cards back with vobject): each
# value backslash-escaped (``\\ ; , newline``), parameters sorted by name and quoted when
# they hold ``, ; :``, the properties in vobject's order (VERSION, UID, then by name, each
# name's lines in the order written) and lines of 75 characters or more folded at 75 bytes
# without splitting a character.

_FIRST = ("version", "prodid", "uid")
_FOLD = 75


def _escape(value: str) -> str:
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _fields(values: list[str]) -> str:
    """A structured value (N, ADR, ORG): each part escaped, joined with ``;``."""
    return ";".join(_escape(value) for value in values)


def _param(value: str) -> str:
    value = value.replace('"', "")  # a parameter value cannot hold one (vobject refused the card)
    return f'"{value}"' if any(ch in value for ch in ",;:") else value


def _fold(line: str) -> str:
    if len(line) < _FOLD:  # vobject's test: characters, not bytes
        return line + "\r\n"
    if line.isascii():
        parts = [line[:_FOLD]] + [line[i:i + _FOLD - 1] for i in range(_FOLD, len(line), _FOLD - 1)]
        return "\r\n ".join(parts) + "\r\n"
    out: list[str] = []
    count = 0
    for ch in line:
        size = len(ch.encode("utf-8"))
        if count + size > _FOLD:
            out.append("\r\n ")
            count = 1
        out.append(ch)
        count += size
    out.append("\r\n")
    return "".join(out)


class _Card:
    """The lines of one vCard, by property name, written out in vobject's order."""

    def __init__(self) -> None:
        self.lines: dict[str, list[str]] = {}

    def add(self, name: str, value: str, params: Mapping[str, list[str]] | None = None, *,
            raw: bool = False) -> None:
        head = name.upper()
        for key in sorted(params or ()):
            head += f";{key}={','.join(_param(p) for p in (params or {})[key])}"
        self.lines.setdefault(name, []).append(f"{head}:{value if raw else _escape(value)}")

    def text(self) -> str:
        first = [name for name in _FIRST if name in self.lines]
        names = first + sorted(name for name in self.lines if name not in first)
        body = "".join(_fold(line) for name in names for line in self.lines[name])
        return "BEGIN:VCARD\r\n" + body + "END:VCARD\r\n"


def x_value(value: Any) -> str:
    """Text as it is, unless it would read back as another type; everything else as JSON."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, ensure_ascii=False)


def split_name(name: str) -> tuple[str, str]:
    if any("\u3400" <= ch <= "\u9fff" for ch in name) or " " not in name.strip():
        return name, ""  # Chinese names are not split: 欧阳娜娜 has a two-character surname
    given, _, family = name.strip().rpartition(" ")
    return family, given
