"""What ``kehu serve`` makes while it already listens: every login's address book (each
card's revision, from the plugins' values), its cards in both vCard versions, and its
calendar, so that a phone's first sync finds them made.

On a fresh index (a new clone, after ``rm -r .kehu``) a book of 10 000 customers costs about
5 s of CPU (the next reminder of each customer), its cards about 4 s a version, and its calendar
about 7 s (the reminder rules over two weeks, the day's visit plan, 35 000 events); a
restarted server reads the books back from the index but makes the calendars again. With
worker processes (:mod:`.pool`) a book made whole is made by them, its cards rendered ahead
in one version; the warm-up waits for those and sends the other version to them, a chunk at
a time. The server answers meanwhile (it listens first, on other threads), and the warm-up works only
while no request is being answered (:meth:`.scope.Served.quiet`); a request for a book or a
calendar being made waits for it instead of making it a second time (:mod:`.books`,
:class:`.backend.Calendar`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..clock import day_is_fixed, resolve_today, seconds_to_next_day
from ..i18n import _
from . import books, pool
from . import cards as card_rules
from .scope import ADDRESS_BOOK, CALENDAR, Scope, scope_of, served

if TYPE_CHECKING:
    from ..store import Store

logger = logging.getLogger("kehu.serve")
RENDER_AT_ONCE = 100  # cards (~0.1 s): a request arriving meanwhile waits no longer


#: the longest the warm-up sleeps before it looks at the day again (a clock set forward, a
#: machine woken from sleep: midnight is not always when it was expected)
LOOK_EVERY = 600.0


def start_warming() -> threading.Thread:
    """Make every login's book and calendar on a thread of its own (with its own store), and
    again on each new day."""
    thread = threading.Thread(target=_warm_each_day, name="kehu-serve-warm", daemon=True)
    thread.start()
    return thread


def _warm_each_day() -> None:
    """:func:`warm`, then again each time a new day begins while the server runs: a new day
    moves every card's next reminder and every calendar, so the first sync of the morning
    waited for a book made whole (about 4 s for 10 000 customers on two cores) when nobody
    had made it ahead. Not when the day is set (``--today``, ``KEHU_TODAY``, ``today:``)."""
    warm()
    state = served()
    configured = state.home.config.today
    if state.fixed_today or day_is_fixed(None, configured):
        return
    day = resolve_today(None, configured)
    while True:
        time.sleep(min(seconds_to_next_day() + 1.0, LOOK_EVERY))
        today = resolve_today(None, configured)
        if today != day:
            day = today
            logger.info(_("kehu serve: a new day ({day}): the address books and calendars are made again")
                        .format(day=today.isoformat()))
            warm()


def warm() -> None:
    """Every login's book and cards first, then the calendars (a calendar costs more than a
    book: a rep's contacts should not wait behind another rep's calendar)."""
    state = served()
    made: dict[str, tuple[int, float]] = {}
    for login in state.settings.users:
        began = time.perf_counter()
        cards = _attempt(login, _book)
        if cards is not None:
            made[login] = (cards, time.perf_counter() - began)
    for login, (cards, seconds) in made.items():
        began = time.perf_counter()
        events = _attempt(login, _calendar)
        if events is not None:
            logger.info(_("kehu serve: {login}: {cards} cards ({path}) and {events} events made in {seconds:.1f} s")
                        .format(login=login, cards=cards, path=f"/{login}/{ADDRESS_BOOK}/", events=events,
                                seconds=seconds + time.perf_counter() - began))


def _attempt(login: str, make: Callable[[Store, Scope], int]) -> int | None:
    """``make`` for ``login`` with this thread's store on the day it is; None if it failed
    (the requests make what is missing themselves)."""
    state = served()
    try:
        store = state.store
        if not state.fixed_today:
            store.today = resolve_today(None, store.config.today)
        store.index.refresh()
        scope = scope_of(login)
        return None if scope is None else make(store, scope)
    except Exception as exc:
        logger.warning(_("kehu serve: {login}'s address book and calendar could not be made ahead: {why}")
                       .format(login=login, why=exc))
        return None


def _book(store: Store, scope: Scope) -> int:
    """The book (a phone asking meanwhile waits for it: it needs it too), then its cards in
    the order a phone fetches them, a few at a time while no request is being answered: a
    phone's sync is answered at full speed, and the cards it asks for next are rendered in
    its pauses."""
    quiet = served().quiet
    quiet()
    cards = list(books.book_of(store, scope).values())
    for apple in (False, True):  # 4.0 for everyone else, 3.0 for Apple's clients
        for first in range(0, len(cards), RENDER_AT_ONCE):
            quiet()
            card_rules.render(store, cards[first:first + RENDER_AT_ONCE], apple, workers=pool)
    return len(cards)


def _calendar(store: Store, scope: Scope) -> int:
    from .backend import Calendar

    return len(Calendar(f"{scope.login}/{CALENDAR}", scope)._events(pause=served().quiet))
