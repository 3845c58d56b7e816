"""vCard 2.1 / 3.0 / 4.0 contacts (phone exports), read with ``vobject``.

The file is cut into cards at ``BEGIN:VCARD`` lines so that each card gets its own line number
and a broken card does not stop the others, and each card's lines are mended before vobject
sees them (:mod:`.vcard_text`). Here: the importer, the cards parsed (in worker processes for a
big file) and each card read into a contact.
"""

from __future__ import annotations

import collections
import itertools
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import vobject

from ...i18n import _
from ...plugins import ImportedContact
from ..vcards import EXTRA_FIELDS
from .base import RowProblem
from .encodings import EncodingProblem, decode_bytes, marked_head
from .vcard_stream import screen_vcard
from .vcard_text import BINARY, join_soft_breaks, nested_begin, no_card, property_lines, split_cards
from .vcard_values import (
    add_extra,
    address_of,
    kehu_value,
    label_text,
    line_label,
    name_from_n,
    plain,
    tel,
    usable_id,
)

if TYPE_CHECKING:
    from ...store import Store

# Properties that are bookkeeping of the exporting app, not facts about the contact.
_TECHNICAL = {"VERSION", "PRODID", "REV", "X-ABUID", "X-ABLABEL", "KIND", "X-ABSHOWAS", "CLIENTPIDMAP",
              "X-APPLE-OMIT-YEAR"}
# Fields kehu writes as X-KEHU-<FIELD> on export, read back into the same field.
KEHU_PREFIX = "X-KEHU-"
_ANDROID_NICKNAME = "vnd.android.cursor.item/nickname;"
#: what an empty file may hold: a byte order mark, blank lines
_BLANK = "\ufeff \t\r\n"


class VCardImporter:
    name = "vcard"
    suffixes = (".vcf", ".vcard")

    def detect(self, path: Path, head: bytes) -> bool:
        """A file whose text begins with ``BEGIN:VCARD`` (after a byte order mark and blank
        lines). Anywhere in its first 4 KB took kehu's own CSV export for a vCard file when a
        customer's note quoted a card: the sheet was read as one card made of the note's lines."""
        text = marked_head(head[:4096])  # UTF-16 (Windows' contacts) or UTF-32, which the reader reads
        if text is None:
            text = head[:4096].decode("utf-8", errors="ignore")
        text = text.lstrip(_BLANK)
        # an empty .vcf (`kehu export --format vcard` of no customer) is a file of no card
        return text.upper().startswith("BEGIN:VCARD") or (not text and path.suffix.lower() in self.suffixes)

    def read(self, path: Path, store: Store) -> Iterator[ImportedContact | RowProblem]:
        # Read line by line, photos skipped unread and oversized properties dropped: vobject
        # never sees them (a 20 MB photo took it 3 GB)
        try:
            screened = screen_vcard(path, store.config.import_limits.vcard_property_mb << 20)
            text = decode_bytes(screened.data)
        except EncodingProblem as exc:
            yield RowProblem(f"{path}:{exc.line}", str(exc))
            return
        screened.data = b""  # read: its text is all that is needed of it
        # Each card is a job for vobject, done here or in worker processes (parse_cards), as
        # the cards are cut from the text: a list of every card's text, and every piece of
        # them handed to the workers at once, held the file's text twice more (100 000 cards)
        # A card refused by screening is its problem, in its place.
        work = _work(path, text, screened.too_big)
        first = next(work, None)
        if first is None:
            if text.strip(_BLANK):  # an empty file (an export of no customer) holds no card, and no problem
                yield RowProblem(f"{path}:1", no_card())
            return
        yield from parse_cards(itertools.chain([first], work), store)


def _work(path: Path, text: str, too_big: dict[int, str]) -> Iterator[RowProblem | tuple[str, str]]:
    """Each card of ``text`` as a job for vobject (its source and text), or the problem that
    screening found in it, in the file's order."""
    for line, chunk in split_cards(text):
        over = [n for n in range(line, line + chunk.count("\n")) if n in too_big] if too_big else []
        yield RowProblem(f"{path}:{over[0]}", too_big[over[0]]) if over else (f"{path}:{line}", chunk)


def parse_card(source: str, chunk: str) -> ImportedContact | RowProblem:
    """One card's text as a contact, or the problem that stops it; ``source`` is the file and
    the line the card begins on (``a.vcf:9``), from which its properties' lines are counted."""
    first = source.rpartition(":")[2]
    try:
        return read_vcard(chunk, source, int(first) if first.isdigit() else None)[1]
    except Unreadable as exc:
        return RowProblem(source, _("unreadable vCard: {why}").format(why=exc))
    except ValueError as exc:
        return RowProblem(source, str(exc))


class Unreadable(ValueError):
    """A card vobject cannot read (``unreadable vCard: …`` in an import)."""


def read_vcard(chunk: str, source: str, first: int | None) -> tuple[Any, ImportedContact]:
    """One card's text (a block of :func:`.vcard_text.split_cards`, beginning at line ``first``)
    as vobject reads it and the contact it makes: the one rule of what a card kehu reads is,
    for `kehu import` and for a card sent to `kehu serve`. ValueError says why not (Unreadable
    when vobject cannot read it)."""
    nested = nested_begin(chunk)
    if nested is not None:  # (vobject made an object of it, which no property of a contact is)
        raise ValueError(_("line {line}: {begin} inside the card begun at line {first}; kehu reads no card or "
                           "other object within a card (vCard 2.1's AGENT): end the first card (END:VCARD) "
                           "before the next begins").format(
            line=(first or 1) + nested[0], begin=nested[1][:40], first=first or 1))
    try:
        card = vobject.readOne(join_soft_breaks(chunk), ignoreUnreadable=False)
    except Exception as exc:  # vobject raises many kinds for broken input
        raise Unreadable(_short(exc)) from None
    return card, contact_from_card(card, source, property_lines(chunk, first) if first is not None else None)


# vobject takes ~0.7 ms a card: 20 000 phone contacts were 14 s of one core. From this many
# cards on, they are parsed in worker processes, one per core, in pieces of PIECE cards (a
# pool's start, ~0.1 s forked and ~0.5 s spawned, would cost a small file more than it saves).
# Forked workers given the store also prepare each contact (.prepare: its values in kehu's
# form, and its profile text and index rows should it be a new customer), which was ~0.5 ms a
# card more of the one process that matches and writes.
PARALLEL_FROM = 2000
PIECE = 500


def parse_cards(cards: Iterable[tuple[str, str] | RowProblem], store: Store | None = None
                ) -> Iterator[ImportedContact | RowProblem]:
    """:func:`parse_card` of each ``(source, text)``, in order, a problem given among them passed
    on in its place; prepared for ``store`` (see :mod:`.prepare`) when they are parsed by forked
    workers. Read from ``cards`` as they are parsed: at most a few pieces ahead of the one given
    back, so a big file's cards are never all held at once, as text or as contacts."""
    workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8)
    cards = iter(cards)
    ahead = list(itertools.islice(cards, PARALLEL_FROM))
    if len(ahead) < PARALLEL_FROM or workers < 2:
        for item in itertools.chain(ahead, cards):
            yield item if isinstance(item, RowProblem) else parse_card(*item)
        return
    import multiprocessing
    import threading
    from concurrent.futures import Future, ProcessPoolExecutor

    from ...i18n import language

    # fork is cheap and inherits every import; a process with other threads (the TUI's
    # workers) could fork while one of them holds a lock, so such a process spawns instead
    method = "fork" if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods() else "spawn"
    # a forked worker has the store as this process has it (its model is made at run time and
    # cannot be sent to a spawned one); it only reads its settings
    initargs = (store if method == "fork" else None,)
    pieces = _pieces(itertools.chain(ahead, cards))
    del ahead
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method),
                             initializer=_worker_init, initargs=initargs) as pool:
        pending: collections.deque[Future[list[ImportedContact | RowProblem]]] = collections.deque()
        for piece in itertools.chain(pieces, [None]):
            if piece is not None:
                pending.append(pool.submit(_parse_piece, piece, language()))
            # two pieces a worker in flight: the workers never wait for this process, and the
            # contacts they gave back are taken one piece at a time
            while pending and (piece is None or len(pending) > 2 * workers):
                yield from pending.popleft().result()


def _pieces(cards: Iterator[tuple[str, str] | RowProblem]) -> Iterator[list[tuple[str, str] | RowProblem]]:
    while piece := list(itertools.islice(cards, PIECE)):
        yield piece


_WORKER_STORE: list[Any] = [None, None]  # a worker's store and its Normaliser, if it prepares


def _worker_init(store: Store | None) -> None:
    if store is not None:
        from .prepare import Normaliser

        _WORKER_STORE[:] = [store, Normaliser(store.config.region, store.customer_model)]


def _parse_piece(cards: list[tuple[str, str] | RowProblem], lang: str) -> list[ImportedContact | RowProblem]:
    from ...i18n import set_language

    set_language(lang)  # a spawned worker's messages in the user's language too
    store, normaliser = _WORKER_STORE
    parsed = [item if isinstance(item, RowProblem) else parse_card(*item) for item in cards]
    if store is None:
        return parsed
    from .matching import Merger
    from .prepare import prepare

    def new_merger() -> Merger:
        return Merger.detached(store)

    return [item if isinstance(item, RowProblem) else prepare(item, store, normaliser, new_merger)
            for item in parsed]


def contact_from_card(card: Any, source: str,
                      lines: dict[str, list[tuple[int, str]]] | None = None) -> ImportedContact:
    """The contact a card makes; ``lines``: each property's lines in the file, by its name
    (:func:`.vcard_text.property_lines`), for the contact's ``places``."""
    fields: dict[str, Any] = {"phones": [], "emails": [], "addresses": [], "tags": []}
    extra: dict[str, Any] = {}
    places: dict[str, str] = {}
    children = list(card.getChildren())
    # the n-th property of a name is the n-th line of that name, where the card has as many of
    # each as its text (else no line is said of that name: a line pointed to must be its own)
    counts = Counter(line.name.upper() for line in children)
    seen: Counter[str] = Counter()

    shared: set[str] = set()

    def mark(key: str, line: Any, *, adds: bool = False) -> None:
        """``key``'s value is ``line``'s (a later FN's replaces an earlier one's); ``adds``: it
        adds to what other lines gave (NOTE, CATEGORIES), so two such lines name no line."""
        name = line.name.upper()
        at = (lines or {}).get(name, [])
        if adds and (key in places or key in shared):
            places.pop(key, None)
            shared.add(key)
        elif len(at) == counts[name]:
            number, written = at[seen[name] - 1]
            places[key] = _("line {line} ({property})").format(line=number, property=written)
    def add(key: str, item: Any, line: Any) -> None:
        """``item`` added to the list of ``key`` (phones ...), at ``line``. An X-KEHU- value that
        made the field no list (``X-KEHU-TAGS:{}``) is kept, for the Normaliser to refuse at its
        line: appending to it was an internal error that stopped the whole import."""
        items = fields[key]
        if isinstance(items, list):
            items.append(item)
            mark(f"{key}[{len(items) - 1}]", line)
    labels: dict[str, str] = {}
    skipped: list[str] = []
    group_labels = {
        line.group.lower(): label_text(str(line.value))
        for line in card.getChildren()
        if line.group and line.name.upper() == "X-ABLABEL"
    }
    formatted_labels: list[str] = []
    for line in children:
        name = line.name.upper()
        value = line.value
        seen[name] += 1
        if name in _TECHNICAL or name in ("BEGIN", "END"):
            continue
        if name in BINARY:
            skipped.append(name)
            continue
        label = line_label(line, group_labels)
        if name == "FN":
            fields["name"] = str(value).strip()
            mark("name", line)
        elif name == "N":
            fields["_n"] = name_from_n(value)
            mark("_n", line)
        elif name == "TEL":
            number = tel(str(value))
            if number:
                add("phones", number, line)
                if label:
                    labels[number] = label
        elif name == "EMAIL":
            address = str(value).strip()
            if address:
                add("emails", address, line)
                if label:
                    labels[address] = label
        elif name == "ADR":
            address = address_of(value)
            if address:
                add("addresses", address, line)
                if label:
                    labels[address] = label
        elif name == "LABEL":
            formatted_labels.append(", ".join(p.strip() for p in str(value).splitlines() if p.strip()))
        elif name == "ORG":
            parts = [p.strip() for p in (value if isinstance(value, list) else [str(value)]) if p.strip()]
            if parts:
                fields["organization"] = parts[0]
                mark("organization", line)
                if len(parts) > 1:
                    extra["department"] = " / ".join(parts[1:])
        elif name == "TITLE":
            fields["title"] = str(value).strip()
            mark("title", line)
        elif name == "NICKNAME":
            nick = ", ".join(value) if isinstance(value, list) else str(value)
            fields["nickname"] = nick.strip()
            mark("nickname", line)
        elif name == "BDAY":
            fields["birthday"] = str(value).strip()
            mark("birthday", line)
        elif name == "CATEGORIES":
            values = value if isinstance(value, list) else str(value).split(",")
            for tag in (v.strip() for v in values if v.strip()):
                add("tags", tag, line)
            if isinstance(fields["tags"], list):
                mark("tags", line, adds=True)
        elif name == "NOTE":
            note = str(value).replace("\r\n", "\n").strip()
            if note:
                fields["notes"] = f"{fields['notes']}\n{note}" if fields.get("notes") else note
                mark("notes", line, adds=True)
                # each line's own text and place: a problem of the notes they make is named at
                # its line (Normaliser.places), not at none
                joined = extra.setdefault("_lines", {}).setdefault("notes", [])
                mark(f"notes[{len(joined)}]", line)
                joined.append(note)
        elif name == "UID":
            uid = str(value).strip()
            if usable_id(uid):
                fields["id"] = uid
                mark("id", line)
            else:
                extra["vcard_uid"] = uid
        elif name == "X-ANDROID-CUSTOM" and str(value).startswith(_ANDROID_NICKNAME):
            # Android keeps nicknames as "vnd.android.cursor.item/nickname;Old Zhou;1;;..."
            nick = str(value)[len(_ANDROID_NICKNAME):].split(";")[0].strip()
            if nick:
                fields["nickname"] = nick
        elif name.startswith(KEHU_PREFIX) and not str(value).strip():
            continue  # an empty property is no value, as a sheet's empty cell is (`X-KEHU-OWNER:`)
        elif name.startswith(KEHU_PREFIX):
            key = name[len(KEHU_PREFIX):].lower().replace("-", "_")
            if key == EXTRA_FIELDS:  # fields whose names no vCard property can carry
                extra_fields = kehu_value(str(value))
                if isinstance(extra_fields, dict):
                    fields.update(extra_fields)
                    for extra_key in extra_fields:
                        mark(extra_key, line)
            else:
                fields[key] = kehu_value(str(value))
                mark(key, line)
        else:
            add_extra(extra, name.lower(), plain(value))
    # LABEL is a formatted copy of an ADR in 2.1/3.0: only keep one with no ADR beside it.
    for text in formatted_labels:
        if text and isinstance(fields["addresses"], list) and text not in fields["addresses"]:
            fields["addresses"].append(text)
    n_name = fields.pop("_n", None)
    n_place = places.pop("_n", None)
    if not fields.get("name"):
        fields["name"] = n_name or fields.get("organization") or fields.get("nickname") or ""
        name_from = "_n" if n_name else "organization" if fields.get("organization") else "nickname"
        where = n_place if name_from == "_n" else places.get(name_from)
        if fields["name"] and where:
            places["name"] = where
    if not fields["name"]:
        listed = [items for items in (fields["phones"], fields["emails"]) if isinstance(items, list) and items]
        if listed:
            fields["name"] = listed[0][0]
        else:
            raise ValueError(_("contact has no name, phone or email"))
    if labels:
        extra["labels"] = labels
    if skipped:
        extra["_skipped"] = sorted(set(skipped))
    return ImportedContact(source=source, fields=fields, extra=extra, places=places)


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
