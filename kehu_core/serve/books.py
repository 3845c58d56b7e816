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
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import cards as card_rules

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


def book_of(store: Store, scope: Scope) -> dict[str, card_rules.Card]:
    """href → card of every customer ``scope`` sees, as of now."""
    generation = store.index.generation()
    book = _books.get(scope.owner)
    if book is not None and book.day == store.today and book.generation == generation:
        return book.by_href
    stamps = store.index.customer_stamps(scope.owner)
    if book is None or book.day != store.today or time.monotonic() - book.made > FULL_EVERY:
        book = _whole(store, scope, generation, stamps)
    else:
        changed = [cid for cid, stamp in stamps.items() if book.stamps.get(cid) != stamp]
        if len(changed) > MOST_CHANGED:
            book = _whole(store, scope, generation, stamps)
        else:
            for cid in [*changed, *(set(book.cards) - set(stamps))]:
                book.cards.pop(cid, None)
            rows = [store.index.get(cid) for cid in changed]
            customers = [row.customer for row in rows if row is not None and scope.sees(row.customer.owner)]
            book.cards.update((card.customer.id, card) for card in card_rules.cards_of(store, customers))
            book.generation, book.stamps = generation, stamps
            book.index_hrefs()
    _books[scope.owner] = book
    return book.by_href


def known(store: Store, scope: Scope) -> dict[str, card_rules.Card] | None:
    """The book as last made, if it is of the index's current generation (else None)."""
    book = _books.get(scope.owner)
    if book is None or book.day != store.today or book.generation != store.index.generation():
        return None
    return book.by_href


def _whole(store: Store, scope: Scope, generation: str, stamps: dict[str, str]) -> Book:
    customers = [row.customer for row in store.index.list(owner=scope.owner, order="id")]
    made = card_rules.cards_of(store, customers)
    book = Book(store.today, generation, stamps, {card.customer.id: card for card in made}, time.monotonic())
    book.index_hrefs()
    return book
