"""A customer as the phone sees them, and a card coming back from the phone.

The card of a customer is made from a *source*: the profile, what plugins compute (tier,
points), the latest interactions and what is due next (in the NOTE). Its *revision* is a hash
of the source: the sync state of an address book (RFC 6578) is the revision of each card, and
a card is rendered (vobject, ~0.5 ms) only when its revision is new; rendered cards are kept
in a table of the index (derived data), so a restarted server does not render 10 000 again.

Coming back, only what a phone edits is taken (the name, phones, emails, addresses and the
note above the kehu block); the rest of the card (tags, tier, X-KEHU- values) is kehu's and
changed only in kehu, because a phone app that drops a property it does not show must not
erase it from the store.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import KehuError, RecordError
from ..i18n import _
from ..services.vcards import vcard_of
from .notes import note_of, own_note
from .scope import Refused, Scope

if TYPE_CHECKING:
    from ..models import Customer
    from ..store import Store

RECENT = 3  # interactions shown in the NOTE
#: the values of plugins a card carries as X-KEHU-<KEY> (read-only on the phone)
COMPUTED = ("tier", "points")
#: bump when what a card holds changes: every card is rendered again
CARD_FORMAT = "1"
_TABLE = ("serve", "cards", ("revision", "apple", "standard"))


@dataclass
class Card:
    """One customer in an address book. A card kept from an earlier run of the server
    (:mod:`.books`) has its revision but not its source (``customer`` None): the source is
    made again only if its text must be rendered and is not kept."""

    customer_id: str
    href: str
    uid: str
    revision: str
    customer: Customer | None = None
    computed: dict[str, Any] = field(default_factory=dict)
    note: str | None = None
    #: the customer as JSON (the source of the revision), when the card was made in a worker
    #: process (:mod:`.pool`), which sends no models
    data: dict[str, Any] | None = None


def customer_of(store: Store, card: Card) -> Customer:
    return card.customer if card.customer is not None else store.get(card.customer_id)


def etag(card: Card, apple: bool) -> str:
    """The ETag of a card as a client sees it: its revision and the version it gets (the text
    is a function of both, so a client's If-Match names what it last read)."""
    return f'"{card.revision}-{3 if apple else 4}"'


def href_of(customer: Customer) -> str:
    """Where the card lives in the address book: ``<id>.vcf``, or the name the phone gave a
    contact it created (kept in ``vcard_href``)."""
    return _field(customer, "vcard_href") or f"{customer.id}.vcf"


def _field(customer: Customer, key: str) -> Any:
    """``getattr(customer, key, None)`` for what kehu keeps of a contact made on a phone
    (``vcard_href``, ``vcard_uid``: fields of the profile no model declares): most customers
    have neither, and pydantic looks for a name it lacks through the class too, raising and
    catching an AttributeError (0.2 s of CPU for a book of 10 000)."""
    if key in type(customer).model_fields:
        return getattr(customer, key)
    extra = customer.__pydantic_extra__
    return extra.get(key) if extra else None


def cards_of(store: Store, customers: list[Customer]) -> list[Card]:
    """The cards of these customers (one query for their interactions; the plugins' values as
    the index keeps them for ``kehu customer list``, computed only where stale)."""
    return _made(store, customers, _values(store, [c.id for c in customers]))


def cards_by_id(store: Store, ids: list[str]) -> list[Card]:
    """The cards of the customers with these ids, in order (one gone left out): made from
    the models the plugins' values were computed from, so that a book made whole on a fresh
    index makes each customer's model once, not twice (0.4 s of CPU at 10 000 customers).
    Without the cyclic garbage collector (:mod:`kehu_core.collector`): its full collections
    went through every model, history and value made so far, a fifth of the CPU of a book
    of 10 000 made whole (4.0 -> 3.2 s)."""
    from ..collector import without_cyclic_gc

    with without_cyclic_gc():
        loaded: dict[str, Customer] = {}
        values = _values(store, ids, loaded)
        missing = [cid for cid in ids if cid not in loaded]
        if missing:  # values kept fresh in the index: nothing was computed, nor loaded
            loaded.update((c.id, c) for c in store.index.customers_of(missing))
        return _made(store, [loaded[cid] for cid in ids if cid in loaded], values)


def _made(store: Store, customers: list[Customer], values: dict[str, dict[str, Any]]) -> list[Card]:
    ids = [c.id for c in customers]
    recent = _recent(store, ids)
    out = []
    for customer in customers:
        value = values.get(customer.id, {})
        computed = {k: value[k] for k in COMPUTED if value.get(k) not in (None, "")}
        note = note_of(customer, recent.get(customer.id, []), value.get("next_reminder"))
        data = customer.model_dump(mode="json")
        source = json.dumps([data, computed, note], ensure_ascii=False, sort_keys=True, default=str)
        revision = hashlib.sha1(f"{CARD_FORMAT}|{source}".encode()).hexdigest()
        uid = _field(customer, "vcard_uid") or customer.id
        out.append(Card(customer.id, href_of(customer), uid, revision, customer, computed, note, data))
    return out


def source_data(card: Card) -> dict[str, Any] | None:
    """The customer of a card as JSON, as its revision was made from (None: not known)."""
    if card.data is not None:
        return card.data
    return card.customer.model_dump(mode="json") if card.customer is not None else None


def _values(store: Store, ids: list[str], loaded: dict[str, Customer] | None = None) -> dict[str, dict[str, Any]]:
    """What the plugins compute for these customers (tier, points, next reminder), from the
    index's derived values (:mod:`kehu_core.services.derived_values`): shared with lists and
    kept between runs, and after a change recomputed only for the customers it touched (the
    tier, a rank among everyone, for all)."""
    from ..services.derived_values import values_for

    if not ids or store.plugins is None:
        return {}
    return values_for(store, ids, loaded=loaded)


def _recent(store: Store, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The latest interaction of each kind of each customer, newest first, ``RECENT`` of them."""
    found: dict[str, list[dict[str, Any]]] = {}
    for first in range(0, len(ids), 500):
        for cid, data in store.index.selected_histories(ids[first:first + 500], latest=True):
            found.setdefault(cid, []).append(json.loads(data))
    return {cid: sorted(items, key=lambda i: (str(i.get("date")), str(i.get("id"))), reverse=True)[:RECENT]
            for cid, items in found.items()}


class Workers(Protocol):
    """Worker processes that render cards (:mod:`kehu_core.serve.pool`), passed in by the
    server: this module is also what the workers run, so it does not import them."""

    RENDER_HERE_FROM: int

    def rendered(self, cards: list[Card], apple: bool) -> dict[str, str]: ...

    def render_now(self, store: Store, cards: list[Card], apple: bool) -> dict[str, str] | None: ...


def render(store: Store, cards: list[Card], apple: bool, *, workers: Workers | None = None) -> dict[str, str]:
    """The vCard text of each card (by customer id): 3.0 for Apple, else 4.0; from the table
    of rendered cards when its revision is there, else rendered and kept (by ``workers``, if
    given, when they are rendering them already or there are many)."""
    table = store.index.plugin_table(*_TABLE)
    stamp = f"cards-{CARD_FORMAT}"
    kept = table.get(stamp, [c.customer_id for c in cards]) or {}
    out: dict[str, str] = {}
    fresh: dict[str, tuple[str, str | None, str | None]] = {}
    column = 1 if apple else 2
    missing = [card for card in cards if card.customer_id not in kept or kept[card.customer_id][0] != card.revision
               or not kept[card.customer_id][column]]
    ahead = workers.rendered(missing, apple) if missing and workers is not None else {}  # being rendered there
    out.update(ahead)
    missing = [card for card in missing if card.customer_id not in ahead]
    missing_ids = {card.customer_id for card in missing} | set(ahead)
    sources = {card.customer_id: card for card in missing if card.customer is not None or card.data is not None}
    if workers is not None and len(sources) >= workers.RENDER_HERE_FROM:  # a worker renders (and keeps) them
        done = workers.render_now(store, list(sources.values()), apple) or {}
        out.update(done)
        sources = {cid: card for cid, card in sources.items() if cid not in done}
    unloaded = [card.customer_id for card in missing if card.customer is None and card.data is None]
    if unloaded:  # kept from an earlier run without their text: their source made again
        sources.update((card.customer_id, card) for card in cards_of(store, store.index.customers_of(unloaded)))
    # the names' sort keys as the index keeps them (used for a name the same as the card's)
    keys = store.index.sort_names(list(sources)) if sources else {}
    for card in cards:
        row = kept.get(card.customer_id)
        if card.customer_id not in missing_ids:
            out[card.customer_id] = row[column]
            continue
        source = sources.get(card.customer_id)
        # written from the customer's JSON, exactly what its revision says (from a worker, no
        # model is made again from it)
        data = source_data(source) if source is not None else None
        if source is None or data is None:  # gone since, or rendered ahead: nothing to render
            continue
        name, key = keys.get(card.customer_id, (None, None))
        text = vcard_of(source.customer, version="3.0" if apple else "4.0", apple=apple, computed=source.computed,
                        note=source.note if source.note is not None else "", uid=source.uid, sort_as=True,
                        sort_name=key if name == data["name"] else None, data=data)
        out[card.customer_id] = text
        other = row[3 - column] if row is not None and row[0] == source.revision else None
        fresh[card.customer_id] = (source.revision, text, other) if apple else (source.revision, other, text)
    if fresh:
        table.put(stamp, fresh)
    return out


# --- a card coming back ---------------------------------------------------------------------


def sent_card(text: str) -> tuple[Any, Any]:
    """The card a phone sent, as vobject reads it, and its contact, by the rule `kehu import`
    reads a card by (:func:`~kehu_core.services.importing.vcard.read_vcard`: the same card
    taken or refused by both, for the same reason, each property at its line in the body);
    ValueError says why not. The body is one card (a CardDAV resource is one, RFC 6352 5.1)."""
    from ..services.importing.vcard import read_vcard
    from ..services.importing.vcard_text import no_card, split_cards

    cards = list(split_cards(text))
    if not cards:
        raise ValueError(no_card())
    if len(cards) != 1:
        raise ValueError(_("the body holds {count} vCards (BEGIN:VCARD ... END:VCARD); a card is sent "
                           "alone").format(count=len(cards)))
    first, chunk = cards[0]
    return read_vcard(chunk, "the card", first)


def read_card(text: str) -> Any:
    """The contact of a vCard the phone sent, as ``kehu import`` reads one (Refused if kehu
    cannot read it)."""
    try:
        return sent_card(text)[1]
    except ValueError as exc:
        raise Refused(400, _("kehu cannot read this vCard: {why}").format(why=exc)) from None


class _PluginFailed(Exception):
    """A plugin's hook failed while a card was written (:func:`_whole_or_not_at_all`)."""


@contextlib.contextmanager
def _whole_or_not_at_all(store: Store) -> Iterator[None]:
    """A card's write whose plugin hooks did not all run (a rule raising, stopped past the
    bound of a request, or passed over as stopped earlier in it) is undone, as a failed hook's
    writes are, and refused (503, "send it again later"), naming the plugin. The failure was
    only logged and the card stored, the phone told 201/204: a rule that could not say no had
    said yes, with nobody at the server to read its log, and the next `kehu sync` refused the
    store when the rule failed again in its check."""
    plugins = store.plugins
    seen = len(plugins.failures) if plugins is not None else 0
    try:
        with store.undo_on_error():
            yield
            if plugins is not None:
                stopped = plugins.stopped()
                failed = [*plugins.failures[seen:], *(f for f in plugins.failures[:seen] if f.plugin in stopped)]
                if failed or stopped:
                    raise _PluginFailed("; ".join(dict.fromkeys(map(str, failed))) or ", ".join(sorted(stopped)))
    except _PluginFailed as exc:
        raise Refused(503, _("{why}; nothing was changed, and the phone can send it again later").format(
            why=exc)) from None


def _reasons(exc: KehuError, places: dict[str, str]) -> str:
    """What is wrong, each problem at its property's line in the card (``places``: the
    contact's, :meth:`.Normaliser.places`) in the words of `kehu import` (``prepare.placed``)."""
    from ..services.importing.prepare import placed

    if isinstance(exc, RecordError):
        return "; ".join(placed(p, places) for p in exc.problems)
    return str(exc)


def edit(store: Store, scope: Scope, customer: Customer, text: str) -> Customer:
    """A card of an existing customer came back: its name, phones, emails, addresses and note
    become a change of the customer's file (validated; Refused with the reason if not)."""
    from ..plugins import ImportedContact
    from ..services.importing.prepare import Normaliser

    contact = read_card(text)
    fields = contact.fields
    # the lists in kehu's form as `kehu import` makes them, so a problem the model finds in one
    # is named at its property's line as the import names it (the card's other values are not taken)
    listed = ImportedContact(contact.source, {k: fields[k] for k in ("phones", "emails", "addresses") if k in fields},
                             extra=contact.extra, places=contact.places)
    normaliser = Normaliser(store.config.region, store.customer_model)
    try:
        values = normaliser.values(listed)[0]
    except (ValueError, KehuError) as exc:
        raise Refused(422, _("{id} ({name}): {reasons}; nothing was changed").format(
            id=customer.id, name=customer.name, reasons=exc)) from None
    changes: dict[str, Any] = {key: values.get(key) or [] for key in ("phones", "emails", "addresses")}
    changes["notes"] = own_note(fields.get("notes"))
    name = fields.get("name")
    if isinstance(name, str):
        name = name.strip()
    # a name that is no text (X-KEHU-NAME of JSON) goes to the model, which refuses it (422):
    # its strip() was a 500
    if name and name != customer.name:
        changes["name"] = name
    # a confidential field is not on the card (it reads as None without a key): the phone
    # sending none back is no reason to touch what is sealed in the file
    for key in customer.sealed:
        changes.pop(key, None)
    try:
        with store.change(f"via CardDAV by {scope.who}", scope.who), _whole_or_not_at_all(store):
            return store.update_customer(customer.id, changes)
    except KehuError as exc:
        raise Refused(422, _("{id} ({name}): {reasons}; nothing was changed").format(
            id=customer.id, name=customer.name, reasons=_reasons(exc, normaliser.places(listed, values)))) from None


#: the fields a contact made on a phone brings into a new customer
NEW_FIELDS = ("name", "phones", "emails", "addresses", "organization", "title", "nickname", "birthday", "tags")


def create(store: Store, scope: Scope, href: str, text: str) -> Customer:
    """A contact made on the phone: a new customer owned by the rep, unless the store already
    has someone with the same phone or email (as ``kehu customer add``: 409, naming them)."""
    from pydantic import ValidationError

    from ..problems import validation_problems
    from ..services import dedupe
    from ..services.importing.prepare import Normaliser, placed

    contact = read_card(text)
    contact.fields.pop("id", None)  # the UID: kept as vcard_uid below, never the customer's id
    # the values in kehu's form as `kehu import` makes them (one rule for both doors): the
    # model alone refused a birthday in a vCard form (an iPhone's 1604-04-15 without a year,
    # 4.0's --0415 or 19900415) that the import takes, and with it the whole contact
    normaliser = Normaliser(store.config.region, store.customer_model)
    try:
        values, _extra = normaliser.values(contact)
    except (ValueError, KehuError) as exc:
        raise Refused(422, _("not a customer kehu can add: {reasons}; nothing was added").format(
            reasons=exc)) from None
    data: dict[str, Any] = {k: values[k] for k in NEW_FIELDS if values.get(k) not in (None, "", [])}
    note = own_note(contact.fields.get("notes"))
    if note:
        data["notes"] = note
    data["id"] = store.new_customer_id()
    if scope.owner:
        data["owner"] = scope.owner
    uid = str(getattr(read_uid(text), "value", "") or "")
    if uid and uid != data["id"]:
        data["vcard_uid"] = uid
    if href != f"{data['id']}.vcf":
        data["vcard_href"] = href
    data["created"] = store.today
    try:
        customer = store.customer_model.model_validate(data, context=store.validation_context())
    except ValidationError as exc:
        reasons = "; ".join(placed(p, normaliser.places(contact, values)) for p in validation_problems(exc, "(new)"))
        raise Refused(422, _("not a customer kehu can add: {reasons}; nothing was added").format(
            reasons=reasons)) from None
    try:
        with store.change(f"via CardDAV by {scope.who}", scope.who), _whole_or_not_at_all(store):
            return dedupe.add_customer(store, customer)
    except dedupe.DuplicateCustomer as exc:
        matches = "; ".join(match.describe() for match in exc.matches)
        raise Refused(409, _("already in the store: {matches}. Nothing was added; edit that customer's card "
                             "instead").format(matches=matches)) from None
    except KehuError as exc:
        raise Refused(422, _("not a customer kehu can add: {reasons}; nothing was added").format(
            reasons=_reasons(exc, normaliser.places(contact, values)))) from None


def read_uid(text: str) -> Any:
    """The UID line of a card sent (vobject's), or None."""
    try:
        return sent_card(text)[0].contents.get("uid", [None])[0]
    except ValueError:
        return None
