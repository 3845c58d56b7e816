"""What ``kehu serve`` makes while it already listens: every login's address book (each
card's revision, from the plugins' values), its cards in both vCard versions, and its
calendar, so that a phone's first sync finds them made.

On a fresh index (a new clone, after ``rm -r .kehu``) a book of 10 000 customers costs about
10 s of CPU (the next reminder of each customer) and its calendar about 15 s (the reminder
rules over two weeks, the day's visit plan, 35 000 events); a restarted server reads the
books back from the index but makes the calendars again. The server answers meanwhile (it
listens first, on other threads); a request for a book or a calendar being made waits for
it instead of making it a second time (:mod:`.books`, :class:`.backend.Calendar`).
"""

from __future__ import annotations

import logging
import threading
import time

from ..clock import resolve_today
from ..i18n import _
from . import books
from . import cards as card_rules
from .scope import ADDRESS_BOOK, CALENDAR, scope_of, served

logger = logging.getLogger("kehu.serve")


def start_warming() -> threading.Thread:
    """Make every login's book and calendar on a thread of its own (with its own store)."""
    thread = threading.Thread(target=warm, name="kehu-serve-warm", daemon=True)
    thread.start()
    return thread


def warm() -> None:
    from .backend import Calendar

    state = served()
    for login in state.settings.users:
        began = time.perf_counter()
        try:
            store = state.store
            if not state.fixed_today:
                store.today = resolve_today(None, store.config.today)
            store.index.refresh()
            scope = scope_of(login)
            if scope is None:
                continue
            cards = list(books.book_of(store, scope).values())
            for apple in (False, True):  # 4.0 for everyone else, 3.0 for Apple's clients
                for first in range(0, len(cards), 1000):  # a request asking for cards meanwhile gets its turn
                    card_rules.render(store, cards[first:first + 1000], apple)
            events = len(Calendar(f"{login}/{CALENDAR}", scope)._state())
        except Exception as exc:  # the requests make what is missing themselves
            logger.warning(_("kehu serve: {login}'s address book and calendar could not be made ahead: {why}")
                           .format(login=login, why=exc))
            continue
        logger.info(_("kehu serve: {login}: {cards} cards ({path}) and {events} events made in {seconds:.1f} s")
                    .format(login=login, cards=len(cards), path=f"/{login}/{ADDRESS_BOOK}/", events=events,
                            seconds=time.perf_counter() - began))
