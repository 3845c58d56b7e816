"""Who is asking: the logins of kehu.yaml ``serve: users:``, the store being served, and what
each request carries that Radicale does not pass to a storage backend (the client, If-Match).

Radicale builds its backends from a module name and its configuration only, so the store and
its settings are handed over here by :func:`kehu_core.serve.server.serve` before Radicale
starts. Each request runs in a thread of its own; :data:`request` holds that thread's.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import KehuError
from ..i18n import _

if TYPE_CHECKING:
    from ..config_serve import ServeSettings, ServeUser
    from ..store import Store

ADDRESS_BOOK = "contacts"
CALENDAR = "calendar"
#: seconds without a request before the warm-up goes on (:meth:`Served.quiet`)
QUIET_AFTER = 0.5


class Served:
    """The store ``kehu serve`` serves, and the day given on its command line (if any).

    Requests are answered by several threads at once (:mod:`.server`). A :class:`Store` is
    not for two threads (its index is an SQLite connection of the thread that opened it, and
    it holds the change being recorded), so each thread answering requests opens the store
    once for itself: :attr:`store` is the calling thread's. Writes take turns
    (:attr:`write_lock`, then the store's lock, which other kehu processes take too)."""

    def __init__(self, store: Store, settings: ServeSettings, fixed_today: bool = False) -> None:
        self.home = store  # opened by `kehu serve`, on the main thread
        self.settings = settings
        self.fixed_today = fixed_today
        self.write_lock = threading.Lock()
        self._home_thread = threading.get_ident()
        # the requests being answered, and how many of them wait for what another thread is
        # making (a book, a calendar): the warm-up makes way for the others (:meth:`quiet`)
        self._activity = threading.Condition()
        self._answering = 0
        self._waiting = 0
        self._answered = -QUIET_AFTER  # time.monotonic() of the last answer

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Around the answer to a request."""
        with self._activity:
            self._answering += 1
        _local.answering = True
        try:
            yield
        finally:
            _local.answering = False
            with self._activity:
                self._answering -= 1
                self._answered = time.monotonic()
                self._activity.notify_all()

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """Around a request's wait for what another thread is making (the warm-up, maybe)."""
        if not getattr(_local, "answering", False):
            yield
            return
        with self._activity:
            self._waiting += 1
            self._activity.notify_all()
        try:
            yield
        finally:
            with self._activity:
                self._waiting -= 1

    def quiet(self) -> None:
        """Return once no request is being answered but those waiting for what another thread
        makes, and none was for :data:`QUIET_AFTER` seconds unless one waits: the warm-up works
        only then, so a phone syncing meanwhile (a request after another, each a few
        milliseconds after the last answer) is not answered at half speed. Python runs one
        thread at a time, and the warm-up's work in the worker processes (the other card
        version, the calendar) took the cores the phone's cards were rendered on: between
        the requests of one sync was not pause enough (a first fetch of 10 000 cards took
        0.5 s longer for it)."""
        while True:
            with self._activity:
                self._activity.wait_for(lambda: self._answering <= self._waiting)
                if self._waiting:
                    return  # a request waits for what the warm-up makes
                idle = time.monotonic() - self._answered
                if idle >= QUIET_AFTER:
                    return
            # slept, not a timed wait on the condition: libfaketime (the suite is also run at
            # another date) does not move a lock's timed wait, which then waits for hours
            time.sleep(QUIET_AFTER - idle)

    @property
    def store(self) -> Store:
        """The store as the calling thread opened it (the main thread: the one kehu serve got)."""
        if threading.get_ident() == self._home_thread:
            return self.home
        store: Store | None = getattr(_local, "store", None)
        if store is None or store.root != self.home.root:
            from ..store import Store

            home = self.home
            store = Store.open(home.root, today=home.today if self.fixed_today else None, plugins=True,
                               extra_plugins=home.plugins.extra)
            store.identity_file = home.identity_file
            _local.store = store
        return store

    def user(self, login: str) -> ServeUser | None:
        return self.settings.users.get(login)

    @property
    def htpasswd(self) -> Path:
        return self.settings.htpasswd_file(self.home.root)


_served: Served | None = None


def serve_store(served: Served) -> None:
    global _served
    _served = served


def served() -> Served:
    if _served is None:
        raise KehuError(_("kehu serve: no store is being served"))
    return _served


@dataclass
class Scope:
    """What one login sees: a rep's customers (``owner``), or everyone's (``owner`` None)."""

    login: str
    who: str  # the name the change journal gives ("via CardDAV by 王芳")
    owner: str | None

    def sees(self, owner: str | None) -> bool:
        return self.owner is None or owner == self.owner


def scope_of(login: str) -> Scope | None:
    user = served().user(login)
    if user is None:
        return None
    return Scope(login, user.who or login, None if user.supervisor else user.rep)


class Refused(ValueError):
    """A request kehu refuses, with the status and the reason the client gets. A ValueError,
    which Radicale answers with 400; the app around Radicale sends this status and reason
    instead (:mod:`kehu_core.serve.server`)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        request().refusal = self


@dataclass
class Request:
    """What kehu needs to know of the request being answered in this thread."""

    user_agent: str = ""
    refusal: Refused | None = None
    #: the card a PUT sent, as kehu import would read it (screened and decoded: :mod:`.intake`);
    #: read instead of Radicale's parse, which drops control characters kehu's rules refuse
    card: str | None = None
    #: why kehu cannot read that card (:func:`.intake.for_radicale`), said when Radicale refuses it
    unreadable: str | None = None
    #: the If-Match header sent ("" when none): a PUT without one (or with ``*``) replaces the
    #: card at its href whatever version the phone last read (:func:`.moved.gone`)
    if_match: str = ""

    @property
    def apple(self) -> bool:
        """Apple's contacts and calendars (iOS, macOS) get vCard 3.0; everyone else 4.0."""
        agent = self.user_agent.lower()
        return any(word in agent for word in ("ios/", "macos/", "mac os", "iphone", "ipad", "dataaccessd",
                                              "addressbook/", "contacts/", "accountsd"))


_local = threading.local()


def request() -> Request:
    current = getattr(_local, "request", None)
    if current is None:
        current = _local.request = Request()
    return current


def begin_request(user_agent: str, if_match: str = "") -> Request:
    _local.request = Request(user_agent=user_agent, if_match=if_match.strip())
    return _local.request
