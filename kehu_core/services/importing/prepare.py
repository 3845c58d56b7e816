"""What an import can work out for a contact before it is matched against the store.

A contact's values in kehu's form (phones in E.164 of the store's region, emails, birthdays;
:class:`Normaliser`) depend on the file and the store's settings only, never on what the
store holds. So does the profile the contact would become if it turned out to be a new
customer with nothing else merged into it: its fields, the file text of it and its index rows
(the pinyin and the search text). A big vCard file works both out in its worker processes
(:func:`prepare`), on every core, before the import takes the store's lock.

The worker also writes that text to a file of its own in a staging folder of the store's
(:func:`staging`, in ``.kehu/``): if the guess is right, the merge step renames it into place
under the lock (a folder and a rename, where writing the file was a temp file, its text and a
rename), and the staging folder goes when the import ends, with every guess not taken.

Matching stays where it was: in one process, under the lock, against the store and the rows
before it (:mod:`.matching`). A prepared profile is only a guess: the merge step writes it only
when the customer it planned is new and is, field for field, the guessed one
(``Planned.current == Prepared.record``); anything else (a later row of the same person, an
id already taken meanwhile) is written exactly as without the guess. What was prepared can
therefore change how long an import takes, never what it stores or says.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import os
import pickle
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ...errors import KehuError, Problem
from ...i18n import _
from ...ids import check_id
from ...models import normalise_email, normalise_phone, region_context
from ...plugins import ImportedContact
from ...problems import validation_problems
from ...yamlio import write_staged
from .base import unlink_referrer
from .values import parse_birthday

if TYPE_CHECKING:
    from ...index.rows import Parsed
    from ...models import Customer
    from ...store import Store

LIST_FIELDS = ("phones", "emails", "addresses", "tags", "interests")
_PLACEHOLDER_ID = "import-check"


class Normaliser:
    """A contact's fields in kehu's form, each row checked on its own (one rule, for the merge
    step and the workers that prepare contacts)."""

    def __init__(self, region: str, model: type[Customer]):
        self.region = region
        self.model = model
        # A sheet repeats a customer's profile on each of their rows: each distinct profile is
        # validated once (each distinct phone and email is parsed once by kehu_core.models).
        self._valid_probes: set[str] = set()

    def normalise(self, contact: ImportedContact) -> tuple[dict[str, Any], dict[str, Any]]:
        """The contact's fields and extra values in kehu's form; ValueError (or KehuError)
        names the first bad value."""
        out, extra = self.values(contact)
        self.check(out, self.places(contact, out))
        return out, extra

    def values(self, contact: ImportedContact) -> tuple[dict[str, Any], dict[str, Any]]:
        """:meth:`normalise` without :meth:`check`."""
        out: dict[str, Any] = {}
        for key, value in contact.fields.items():
            if value in (None, "", []):
                continue
            try:
                self._value(out, key, value)
            except (ValueError, KehuError) as exc:
                where = self._place(contact.places, key, value)
                if where is None:
                    raise
                raise ValueError(f"{where}: {exc}") from None
        extra = {k: v for k, v in contact.extra.items() if not k.startswith("_") and v not in ("", [], {})}
        if isinstance(extra.get("labels"), dict):
            phones = list(contact.fields.get("phones") or [])
            extra["labels"] = {self._label_key(k, phones): v for k, v in extra["labels"].items()}
        return out, extra

    def _place(self, places: dict[str, str], key: str, value: Any) -> str | None:
        """Where the wrong value of ``key`` was read: the place of the item that is wrong
        (``phones[1]``: a vCard's second TEL line) where the reader gave one, else the field's
        (a sheet's cell)."""
        if isinstance(value, (list, tuple)):
            for n, item in enumerate(value):
                if f"{key}[{n}]" not in places:
                    continue
                try:
                    self._value({}, key, [item])
                except (ValueError, KehuError):
                    return places[f"{key}[{n}]"]
        return places.get(key)

    def places(self, contact: ImportedContact, out: dict[str, Any]) -> dict[str, str]:
        """The contact's places for what the model says of ``out`` (its values in kehu's form):
        an item's (``emails[2]``, a vCard's third EMAIL) also as the model counts the list once
        repeats are dropped (``emails.1``), and a list past the model's limit at the first item
        past it, where the list has no place of its own (51 TEL lines; tags of two CATEGORIES)."""
        places = dict(contact.places)
        for key, value in out.items():
            raw = contact.fields.get(key)
            if not isinstance(value, list) or not isinstance(raw, (list, tuple)):
                continue
            for n, item in enumerate(raw):
                where = places.get(f"{key}[{n}]")
                if where is None:
                    continue
                normal: dict[str, Any] = {}
                try:
                    self._value(normal, key, [item])
                except (ValueError, KehuError):
                    continue
                if normal[key] and normal[key][0] in value:
                    places.setdefault(f"{key}.{value.index(normal[key][0])}", where)
            limit = _max_items(self.model, key)
            if limit is not None and len(value) > limit and key not in places and f"{key}.{limit}" in places:
                places[key] = places[f"{key}.{limit}"]
        for key, texts in (contact.extra.get("_lines") or {}).items():
            if key not in places:
                where = self._joined_place(key, texts, places)
                if where is not None:
                    places[key] = where
        return places

    def _joined_place(self, key: str, texts: list[str], places: dict[str, str]) -> str | None:
        """Where a text joined from several lines (``texts``, each at ``places[f"{key}[n]"]``: a
        card's NOTE lines) is wrong: at the first line the model refuses as the field on its own
        (an ESC in the second NOTE), else at the last (the one that made the whole wrong)."""
        at = [places.get(f"{key}[{n}]") for n in range(len(texts))]
        if not at or None in at:
            return None
        for text, where in zip(texts, at, strict=True):
            try:
                self.model.model_validate({"id": _PLACEHOLDER_ID, "name": "?", key: text},
                                          context=region_context(self.region))
            except ValidationError:
                return where
        return at[-1]

    def _value(self, out: dict[str, Any], key: str, value: Any) -> None:
        """``out[key]``: ``value`` in kehu's form; ValueError (or KehuError) says what is wrong."""
        if key in LIST_FIELDS and not isinstance(value, (list, tuple)):
            # an X-KEHU- value is JSON: a number here was "internal error: TypeError", a
            # mapping became its keys; said as the model says a field of the wrong shape
            raise ValueError(f"{key}: " + _("expected a list"))
        if key == "phones":
            out[key] = _unique(normalise_phone(p, self.region) for p in value)
        elif key == "emails":
            out[key] = _unique(normalise_email(e) for e in value)
        elif key in LIST_FIELDS:
            out[key] = _unique(str(v).strip() for v in value if str(v).strip())
        elif key == "birthday":
            out[key] = parse_birthday(value)
        elif key == "id":
            out[key] = check_id(str(value).strip(), "customer id")
        else:
            out[key] = value.strip() if isinstance(value, str) else value

    def check(self, out: dict[str, Any], places: dict[str, str] | None = None) -> None:
        """Check a row's normalised fields on their own with the store's model, so an error is
        reported at its line, not at a merged customer (ValueError says what is wrong, at the
        field's place in ``places`` if it is there: a sheet's cell)."""
        probe = {k: v for k, v in out.items() if k != "id"}
        probe.setdefault("name", "?")
        key = json.dumps(probe, sort_keys=True, default=repr, ensure_ascii=False)
        if key not in self._valid_probes:
            try:
                self.model.model_validate({"id": _PLACEHOLDER_ID, **probe}, context=region_context(self.region))
            except ValidationError as exc:
                raise ValueError("; ".join(placed(p, places or {}) for p in validation_problems(exc, ""))) from None
            self._valid_probes.add(key)

    def _label_key(self, raw: str, phones: list[str]) -> str:
        """Labels are keyed by the phone or email they describe, in its stored form."""
        try:
            if raw in phones:
                return normalise_phone(raw, self.region)
            return normalise_email(raw) if "@" in raw else raw
        except ValueError:
            return raw


@dataclass
class Prepared:
    """A contact worked out by a worker: its values in kehu's form (or why they are wrong) and,
    for a contact without purchases, the profile it would be as a new customer."""

    fields: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # the row's problem, said when the merge step reaches the row
    cid: str | None = None  # the guessed new customer's id (the file's, or a new one)
    record: dict[str, Any] | None = None  # Planned.current of the guess
    staged: Path | None = None  # a file holding its text in the import's staging folder, if any
    # the same guess with its referrer refused (base.unlink_referrer): a file's referrers are
    # often nobody in this store, which only the merge step can tell
    unlinked: Prepared | None = None
    #: what is written of the guess, packed (:meth:`pack`): its customer.yaml, the validated
    #: Customer (pickle state: its model is made at run time) and its index rows (stat filled in
    #: when written). Held unpacked until the import was written, they were 8 KB a contact of
    #: the 12 KB that made an import of 100 000 cards take 1.5 GB
    packed: bytes | None = None

    def pack(self, text: str, state: dict[str, Any], rows: Parsed) -> None:
        self.packed = zlib.compress(pickle.dumps((text, state, rows), pickle.HIGHEST_PROTOCOL), 1)

    def parts(self) -> tuple[str, dict[str, Any], Parsed]:
        """The guess's text, its customer's state and its index rows (see :attr:`packed`)."""
        assert self.packed is not None
        return pickle.loads(zlib.decompress(self.packed))  # noqa: S301 - packed by this import itself

    @property
    def made(self) -> bool:
        """Whether the guess was made (its profile written out as text and index rows)."""
        return self.packed is not None

    @property
    def rows(self) -> Parsed | None:
        return self.parts()[2] if self.packed is not None else None

    def customer(self, model: type[Customer], state: dict[str, Any]) -> Customer:
        made = model.__new__(model)
        made.__setstate__(state)
        return made


@dataclass
class PreparedContact(ImportedContact):
    """An :class:`ImportedContact` with what a worker worked out for it."""

    prepared: Prepared | None = None


def prepare(contact: ImportedContact, store: Store, normaliser: Normaliser,
            new_merger: Callable[[], Any]) -> PreparedContact:
    """``contact`` with its values normalised and, if it has no purchases, its profile as a
    new customer made, written out as text and as index rows. Reads nothing the import's
    lock guards: the store's settings, model and plugins' fields only. ``new_merger``: a
    merger that knows no customer (``Merger.detached``; given by the caller, as the merge
    step's module imports this one)."""
    out = PreparedContact(contact.source, contact.fields, contact.purchases, contact.extra, contact.places)
    try:
        fields, extra = normaliser.values(contact)
    except (ValueError, KehuError) as exc:
        out.prepared = Prepared(error=str(exc))
        return out
    prepared = out.prepared = Prepared(fields=fields, extra=extra)
    if not contact.purchases and not store.config.confidential.fields:
        # (purchases are checked and planned under the lock; sealed values need keys)
        try:
            _guess_new(prepared, store, new_merger(), contact.source)
            # the row's own check passes too: the new profile holds each of its values
            return out
        except Exception:  # noqa: BLE001 - only a guess: the merge step makes this customer itself and says what is wrong
            prepared.cid = prepared.record = prepared.packed = prepared.unlinked = None
    try:
        normaliser.check(fields, normaliser.places(contact, fields))
    except ValueError as exc:
        out.prepared = Prepared(error=str(exc))
    return out


def _guess_new(prepared: Prepared, store: Store, merger: Any, source: str) -> None:
    # the merge step's own code, on a plan with nothing in it (it changes the fields it gets)
    fields, extra = copy.deepcopy(prepared.fields), copy.deepcopy(prepared.extra)
    entry = merger.planned_new(fields, extra, source)
    _render(prepared, store, entry.cid, entry.current)
    if entry.current.get("referrer"):
        record = copy.deepcopy(entry.current)
        unlink_referrer(record)
        try:
            _render(unlinked := Prepared(), store, entry.cid, record)
            prepared.unlinked = unlinked
        except Exception:  # noqa: BLE001 - only a guess, as above
            prepared.unlinked = None


def _render(prepared: Prepared, store: Store, cid: str, record: dict[str, Any]) -> None:
    """``prepared``'s guess: ``record`` validated as a new customer, its file text and index rows."""
    from ...index.rows import parse_written
    from ...store.profile_text import new_profile_text

    customer = store.customer_model.model_validate(record, context=store.validation_context())
    text = new_profile_text(customer)
    path = store.customer_file(customer.id)
    prepared.pack(text, customer.__getstate__(), parse_written(store.rel(path), (0, 0), customer, store.config.region))
    prepared.cid, prepared.record = cid, record
    if _STAGING[0] is not None:
        try:
            prepared.staged = write_staged(_STAGING[0], f"{os.getpid()}-{next(_STAGED)}.yaml", text)
        except OSError:
            prepared.staged = None  # (a full disk): the merge step writes the text itself


# The import's staging folder (:func:`staging`), as forked workers inherit it, and a counter
# naming each worker's files in it.
_STAGING: list[Path | None] = [None]
_STAGED = itertools.count()


@contextlib.contextmanager
def staging(store: Store) -> Iterator[None]:
    """A staging folder for the files of the new customers that workers forked inside the
    block guess (in the store's ``.kehu/``, so a rename puts them in place), removed with
    what is left in it when the block ends. The import holds a lock on a file in it while it
    runs; an import killed (``kill -9``, the OOM killer) left its folder for good, every
    guess of 100 000 contacts a file of it, so each import first removes the folders whose
    import is gone (:func:`held_folders.sweep`)."""
    from ... import held_folders

    held_folders.sweep(store.state_dir, _STAGING_PREFIX, unheld_age=_UNHELD_AGE)
    try:
        held: held_folders.HeldFolder | None = held_folders.make(store.state_dir, _STAGING_PREFIX)
    except OSError:
        held = None  # nowhere to stage (a read-only .kehu): the merge step writes each file
    _STAGING[0] = held.path if held is not None else None
    try:
        yield
    finally:
        _STAGING[0] = None
        if held is not None:
            held.remove()


_STAGING_PREFIX = "import-"
#: a staging folder without its lock file is an import's that died making it, or an older kehu's
#: (which held none): left alone while an import may still be starting in it
_UNHELD_AGE = 3600.0


def placed(problem: Problem, places: dict[str, str]) -> str:
    """A validation problem of a contact's field as said at the field's place (``places``: a
    sheet's cell, ``sheet 'Sheet1' cell C2 (credit_limit): Input should be a valid decimal``),
    or its item's (``emails.1``: a vCard's EMAIL line, :meth:`Normaliser.places`), where it has
    one; else as the model says it. A problem deeper in the field (``emails.1``, a sale's
    ``payments.0.date``) keeps its location after the place."""
    where = None
    if problem.loc and problem.reason:
        item = ".".join(str(p) for p in problem.loc[:2]) if len(problem.loc) > 1 else None
        where = places.get(item) if item else None
        where = where or places.get(str(problem.loc[0]))
    if where is None:
        return problem.message
    return f"{where}: {problem.reason if len(problem.loc) == 1 else problem.message}"


def _max_items(model: type[Customer], key: str) -> int | None:
    """How many items the model takes in its list field ``key`` (its ``max_length``), if it says."""
    info = model.model_fields.get(key)
    limits = [getattr(m, "max_length", None) for m in (info.metadata if info else ())]
    return next((limit for limit in limits if isinstance(limit, int)), None)


def _unique(values: Any) -> list[str]:
    return list(dict.fromkeys(values))
