"""The address book of a login, kept up to date between requests.

Making every card of a 10 000-customer book costs seconds (the profiles from the index, the
plugins' values, the latest interactions), so a book is kept in the server's memory and, when
the index generation moves (a record changed, in any process), only the customers whose files
changed are made again: the index stamps each customer's files (``customer_stamps``). A
customer who left the login's scope (another owner, merged away) leaves the book; one who came
in joins it.

A card also shows values computed across customers (the tier is a rank among everyone), which
one customer's change can move for others. So the whole book is made again at least every
:data:`FULL_EVERY` seconds when records changed, and every new day: a tier on the phone
follows a change of someone else's revenue within that time.

What a book holds (each card's revision, href and UID, under the customer's stamp) is also
kept in a table of the index (derived data, like the rendered cards), so a restarted server
reads its books from there instead of making 10 000 cards again: it listens in seconds, and
only the customers whose files changed since are made again, on the first request. A kept
book is for one day, one kehu.yaml and one kehu: another day, it is made again whole.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import cards as card_rules
from . import pool
from .scope import request, served

if TYPE_CHECKING:
    from ..store import Store
    from .scope import Scope

FULL_EVERY = 600.0  # seconds
#: more changed customers than this: the whole book is made again (one pass is cheaper)
MOST_CHANGED = 500


@dataclass
class Book:
    day: dt.date
    generation: str
    stamps: dict[str, str]
    cards: dict[str, card_rules.Card]  # by customer id
    made: float  # time.monotonic() of the last whole pass
    by_href: dict[str, card_rules.Card] = field(default_factory=dict)

    def index_hrefs(self) -> None:
        self.by_href = {card.href: card for card in self.cards.values()}


_books: dict[str | None, Book] = {}


_locks: dict[str | None, threading.Lock] = {}
_locks_lock = threading.Lock()
#: the customers the log last said no book holds (said again only when they change: the index
#: generation moves often, and every login's book is made again from it)
_said: list[frozenset[str] | None] = [None]


def say_left_out(store: Store) -> None:
    """Log how many customers no address book or calendar holds because their customer.yaml
    has a problem (``Index.unlisted``, the words of :mod:`kehu_core.left_out`): a CardDAV
    client shows no stderr, so the server's log says it, at start and when the books or
    calendars are made again from changed records and those customers are others."""
    from ..left_out import SERVED, left_out

    ids = store.index.unlisted_ids()
    with _locks_lock:
        if _said[0] == ids:
            return
        _said[0] = ids
    message = left_out(len(ids), SERVED)
    if message:
        logging.getLogger("kehu.serve").warning("kehu serve: %s", message)


def book_of(store: Store, scope: Scope) -> dict[str, card_rules.Card]:
    """href → card of every customer ``scope`` sees, as of now. Requests answered at once
    (each thread with its own ``store``) share the books: one makes a book, the others
    asking for it wait and get it made."""
    book = _shared(store, scope, whole=True)
    assert book is not None  # made whole when there was none
    return book


def made_book(store: Store, scope: Scope) -> dict[str, card_rules.Card] | None:
    """The book as :func:`book_of` gives it, if one was made today (by this server or, kept
    in the index, an earlier run), else None — never made whole for it: one card asked for
    the moment the server starts is made alone, not after 10 000 others. A card's ETag must
    be the one its listing gave (a client's If-Match names it), and the listing's cards can
    show a tier as it was up to :data:`FULL_EVERY` ago; so a single card comes from the book
    whenever there is one."""
    return _shared(store, scope, whole=False)


def _shared(store: Store, scope: Scope, *, whole: bool) -> dict[str, card_rules.Card] | None:
    with _locks_lock:
        lock = _locks.setdefault(scope.owner, threading.Lock())
    if not lock.acquire(blocking=False):
        with served().waiting():  # for the thread making it (the warm-up, maybe)
            lock.acquire()
    try:
        return _book_of(store, scope, whole=whole)
    finally:
        lock.release()


def _book_of(store: Store, scope: Scope, *, whole: bool) -> dict[str, card_rules.Card] | None:
    generation = store.index.generation()
    book = _books.get(scope.owner)
    if book is not None and book.day == store.today and book.generation == generation:
        return book.by_href
    say_left_out(store)  # the records changed: a broken profile is said, not dropped unseen
    stamps = store.index.customer_stamps(scope.owner)
    if book is None or book.day != store.today:
        book = _kept(store, scope)
    if book is None and not whole:
        return None
    changed = [] if book is None else [cid for cid, stamp in stamps.items() if book.stamps.get(cid) != stamp]
    if book is None or (whole and (time.monotonic() - book.made > FULL_EVERY or len(changed) > MOST_CHANGED)):
        book = _whole(store, scope, generation, stamps)
    else:
        for cid in [*changed, *(set(book.cards) - set(stamps))]:
            book.cards.pop(cid, None)
        rows = [store.index.get(cid) for cid in changed]
        customers = [row.customer for row in rows if row is not None and scope.sees(row.customer.owner)]
        made = card_rules.cards_of(store, customers)
        book.cards.update((card.customer_id, card) for card in made)
        book.generation, book.stamps = generation, stamps
        book.index_hrefs()
        if made:
            _keep(store, scope, book, made)
    _books[scope.owner] = book
    return book.by_href


_KEPT_COLUMNS = ("stamp", "revision", "href", "uid")


def _table(store: Store, scope: Scope) -> Any:
    name = "book-" + (hashlib.sha1(scope.owner.encode()).hexdigest()[:16] if scope.owner is not None else "all")
    return store.index.plugin_table("serve", name, _KEPT_COLUMNS)


def _kept_stamp(store: Store) -> str:
    """What a kept book was made under: the day, kehu.yaml, this kehu and its plugins, the
    language (the NOTE's words) and the cards' format."""
    from .. import __version__, i18n
    from ..index.freshness import config_stamp

    return (f"{card_rules.CARD_FORMAT}|{__version__}|{store.today.isoformat()}|{i18n.language()}|"
            f"{config_stamp(store.root)}|{','.join(store.plugins.names())}")


def _kept(store: Store, scope: Scope) -> Book | None:
    """The book as the last run of the server kept it, if it was made under the same stamp:
    its customers with the stamps their cards were made from (those changed since are made
    again by the caller)."""
    rows = _table(store, scope).all(_kept_stamp(store))
    if not rows:
        return None
    cards = {cid: card_rules.Card(cid, href, uid, revision) for cid, (_stamp, revision, href, uid) in rows.items()}
    book = Book(store.today, "", {cid: row[0] for cid, row in rows.items()}, cards, time.monotonic())
    book.index_hrefs()
    return book


def _keep(store: Store, scope: Scope, book: Book, cards: list[card_rules.Card], *, whole: bool = False) -> None:
    rows = {card.customer_id: (book.stamps.get(card.customer_id), card.revision, card.href, card.uid)
            for card in cards}
    table = _table(store, scope)
    if whole:
        table.replace_all(_kept_stamp(store), rows)
    else:
        table.put(_kept_stamp(store), rows)


def _whole(store: Store, scope: Scope, generation: str, stamps: dict[str, str]) -> Book:
    """Every card of the book made again: by the worker processes when there are (side by
    side, and then rendered ahead in the asking client's version), else here."""
    made = pool.make_cards(store, sorted(stamps))
    if made is not None:
        pool.render_ahead(store, made, (request().apple,))
    else:
        made = card_rules.cards_by_id(store, sorted(stamps))
    book = Book(store.today, generation, stamps, {card.customer_id: card for card in made}, time.monotonic())
    book.index_hrefs()
    _keep(store, scope, book, made, whole=True)
    return book
