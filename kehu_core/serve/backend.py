"""kehu as Radicale's storage (``[storage] type = kehu_core.serve.backend``).

The collections, for each login of kehu.yaml ``serve: users:``::

    /<login>/             the principal
    /<login>/contacts/    the address book: a rep's customers (a supervisor: everyone), read-write
    /<login>/calendar/    the calendar: reminders, birthdays, complaint deadlines, read-only

Nothing is stored by Radicale: a card is made from the customer's files when it is asked for,
and a card sent back is a change of the customer made through the store
(:mod:`kehu_core.serve.cards`). A collection is created or deleted by nobody; a contact
deleted on the phone is refused (403) and comes back with the next sync: kehu never deletes a
customer from a phone (docs/serve.md).

Here: the address book, the calendar and Radicale's ``Storage`` that finds them; what they
share (the folders, sync states, lazily made items) is in :mod:`.collection`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from radicale import item as radicale_item
from radicale import pathutils, storage, types

from ..clock import resolve_today
from ..errors import KehuError
from ..i18n import _
from . import books, pool
from . import cards as card_rules
from .collection import Folder, KehuCollection, LazyItem, http_date
from .moved import gone
from .scope import ADDRESS_BOOK, CALENDAR, Refused, request, scope_of, served


class _Texts:
    """The vCard texts of the cards one request may serialize, rendered together on first use."""

    def __init__(self, cards: list[card_rules.Card], apple: bool) -> None:
        self.cards = cards
        self.apple = apple
        self._texts: dict[str, str] | None = None

    def get(self, customer_id: str) -> str:
        if self._texts is None:
            self._texts = card_rules.render(served().store, self.cards, self.apple, workers=pool)
        return self._texts.get(customer_id, "")



class AddressBook(KehuCollection):
    """A login's customers as vCards."""

    tag_name = "VADDRESSBOOK"

    def get_meta(self, key: str | None = None) -> Any:
        scope = self.scope
        title = f"{scope.owner}的客户" if scope.owner else "全部客户"
        meta = {"tag": "VADDRESSBOOK", "D:displayname": f"kehu {title}",
                "CR:addressbook-description": f"kehu: {title}"}
        return meta if key is None else meta.get(key)

    def _book(self) -> dict[str, card_rules.Card]:
        return books.book_of(served().store, self.scope)

    def _state(self) -> dict[str, str]:
        return {href: card.revision for href, card in self._book().items()}

    def card(self, href: str) -> card_rules.Card | None:
        """The card at ``href``: from the book if one was made (its ETag as listed), else
        made alone when it is ``<id>.vcf`` (the server just started)."""
        store = served().store
        book = books.made_book(store, self.scope)
        if book is not None:
            return book.get(href)
        stem = href.removesuffix(".vcf")
        try:
            customer = store.get(stem) if href.endswith(".vcf") and store.exists(stem) else None
        except KehuError:
            customer = None
        if customer is not None and self.scope.sees(customer.owner) and card_rules.href_of(customer) == href:
            return card_rules.cards_of(store, [customer])[0]
        return self._book().get(href)

    def _items(self, hrefs: Iterable[str]) -> Iterator[tuple[str, radicale_item.Item | None]]:
        book = self._book() if not isinstance(hrefs, list) or len(hrefs) != 1 else None
        found = [(href, (book.get(href) if book is not None else self.card(href))) for href in hrefs]
        texts = _Texts([c for _, c in found if c is not None], request().apple)
        for href, card in found:
            yield href, None if card is None else self._card_item(card, texts)

    def _card_item(self, card: card_rules.Card, texts: _Texts) -> radicale_item.Item:
        """The item of a card: its ETag from the card's revision, its text rendered only when
        asked for (a PROPFIND of ETags renders nothing), for all cards of the request at once."""
        return LazyItem(lambda: texts.get(card.customer_id), collection=self, href=card.href,
                        etag=card_rules.etag(card, texts.apple), uid=card.uid, name="VCARD", component_name="VCARD",
                        last_modified=lambda: http_date(_mtime(served().store, card.customer_id) or 0))

    def has_uid(self, uid: str) -> bool:
        return any(card.uid == uid for card in self._book().values())

    def upload(self, href: str, item: radicale_item.Item) -> tuple[radicale_item.Item, radicale_item.Item | None]:
        store = served().store
        old = self.card(href)
        # the card as sent (kehu's rules on control characters), not Radicale's parse of it
        text = request().card or item.serialize()
        if old is None:
            why = gone(store, self.scope, href, item.uid or "")
            if why is not None:  # the phone's edit of a card gone since: never a new customer of it
                raise Refused(409, why)
            _not_taken(store, href, item.uid)
            customer = card_rules.create(store, self.scope, href, text)
            replaced = None
        else:
            # sent without If-Match, the phone's card may be of whoever had this id before
            why = None if request().if_match not in ("", "*") else gone(
                store, self.scope, href, item.uid or "", sent=text)
            if why is not None:  # never an edit of another person
                raise Refused(409, why)
            replaced = self._card_item(old, _Texts([old], request().apple))
            customer = card_rules.edit(store, self.scope, card_rules.customer_of(store, old), text)
        fresh = card_rules.cards_of(store, [store.get(customer.id)])[0]
        return self._card_item(fresh, _Texts([fresh], request().apple)), replaced

    def delete(self, href: str | None = None) -> None:
        if href is None:
            raise Refused(403, _("kehu serve: the address book is kehu's and is never deleted"))
        raise Refused(403, _("kehu serve never deletes a customer from a phone: the contact comes back with "
                           "the next sync. To take a customer off a rep's phone, give them to another rep "
                           "(kehu customer set ID owner=NAME or kehu handover)"))


def gone_at(path: str) -> str | None:
    """Why the card at ``path`` (``/<login>/contacts/<href>``) is gone, when its customer was
    merged into another or given a new id (:func:`.moved.gone`): said with the 412 Radicale
    gives an edit of it sent with If-Match, and the 404 of its deletion."""
    parts = pathutils.strip_path(pathutils.sanitize_path(path)).split("/")
    scope = scope_of(parts[0]) if len(parts) == 3 and parts[1] == ADDRESS_BOOK else None
    if scope is None:
        return None
    sent = request().card
    uid = str(getattr(card_rules.read_uid(sent), "value", "") or "") if sent else ""
    return gone(served().store, scope, parts[2], uid, sent)


def _not_taken(store: Any, href: str, uid: str) -> None:
    """Refuse (409) a new contact whose UID or file name is another customer's card's, in any
    address book: Radicale checks only the login's own, and a rep's phone could so put a second
    card of 李雷's 张三 (his id as its UID, or ``<his id>.vcf`` as its name) in a supervisor's
    book, where one of the two is hidden by the other and clients stop on the pair. The
    index is asked (``card_holders``): the book of everyone, made for it the first time a phone
    created a contact, cost 4 s on 10 000 customers with the store's write lock held, and a
    ``kehu`` command writing meanwhile waited as long."""
    if store.index.card_holders(href, uid):
        raise Refused(409, _("another customer's card already has this UID or file name ({uid}, {href}); "
                             "nothing was added").format(uid=uid, href=href))


def _mtime(store: Any, customer_id: str) -> float | None:
    try:
        return os.stat(store.customer_file(customer_id)).st_mtime
    except OSError:
        return None


#: each login's calendar as last made (shared by the threads answering requests), under what
#: it was made from: the index generation, the day and the rep's plan files
_calendars: dict[str | None, tuple[tuple[Any, ...], dict[str, Any]]] = {}
_calendar_locks: dict[str | None, threading.Lock] = {}
_calendars_lock = threading.Lock()


class Calendar(KehuCollection):
    """A login's reminders, birthdays and complaint deadlines (read-only)."""

    tag_name = "VCALENDAR"

    def get_meta(self, key: str | None = None) -> Any:
        scope = self.scope
        title = f"{scope.owner}的提醒" if scope.owner else "全部提醒"
        meta = {"tag": "VCALENDAR", "D:displayname": f"kehu {title}",
                "C:supported-calendar-component-set": "VEVENT",
                "C:calendar-description": "kehu: 提醒、生日、节日问候、拜访与投诉期限 (read-only)"}
        return meta if key is None else meta.get(key)

    def _events(self, pause: Callable[[], None] | None = None) -> dict[str, Any]:
        """href → item of every event, made again when the records, the day or the rep's plan
        files changed; ``pause``: called now and then while making it (the warm-up's turn)."""
        from .events import calendar_items, planned_days

        store = served().store
        plans = tuple(planned_days(store, self.scope.owner)) if self.scope.owner else ()
        key = (store.index.generation(), store.today, plans)
        with _calendars_lock:
            lock = _calendar_locks.setdefault(self.scope.owner, threading.Lock())
        if not lock.acquire(blocking=False):  # one makes a login's calendar; others asking meanwhile wait
            with served().waiting():
                lock.acquire()
        try:
            kept = _calendars.get(self.scope.owner)
            if kept is not None and kept[0] == key:
                return kept[1]
            books.say_left_out(store)  # as the address book does
            events = {item.href: item for item in calendar_items(store, self.scope, pause)}
            _calendars[self.scope.owner] = (key, events)
            return events
        finally:
            lock.release()

    def _state(self) -> dict[str, str]:
        return {href: item.revision for href, item in self._events().items()}

    def _items(self, hrefs: Iterable[str]) -> Iterator[tuple[str, radicale_item.Item | None]]:
        events = self._events()
        for href in hrefs:
            event = events.get(href)
            yield href, None if event is None else LazyItem(
                lambda event=event: event.text, collection=self, href=href,
                etag=f'"{event.revision}"', uid=event.uid, name="VCALENDAR", component_name="VEVENT",
                last_modified=lambda: self.last_modified)

    def upload(self, href: str, item: radicale_item.Item) -> tuple[radicale_item.Item, radicale_item.Item | None]:
        raise Refused(403, _("kehu serve: the calendar is read-only; reminders are done or snoozed in kehu"))

    def delete(self, href: str | None = None) -> None:
        raise Refused(403, _("kehu serve: the calendar is read-only; reminders are done or snoozed in kehu"))


class Storage(storage.BaseStorage):
    """Radicale's storage: the collections above, over the store kehu serve was started on."""

    def discover(self, path: str, depth: str = "0", child_context_manager: Any = None,
                 user_groups: Any = frozenset()) -> Iterable[types.CollectionOrItem]:
        sane = pathutils.strip_path(pathutils.sanitize_path(path))
        parts = sane.split("/") if sane else []
        found: list[types.CollectionOrItem] = []
        if not parts:
            found.append(Folder(""))
            if depth != "0":
                found += [Folder(login) for login in served().settings.users]
            return found
        scope = scope_of(parts[0])
        if scope is None or len(parts) > 3:
            return []
        if len(parts) == 1:
            found.append(Folder(parts[0]))
            if depth != "0":
                found += [AddressBook(f"{parts[0]}/{ADDRESS_BOOK}", scope), Calendar(f"{parts[0]}/{CALENDAR}", scope)]
            return found
        kind = {ADDRESS_BOOK: AddressBook, CALENDAR: Calendar}.get(parts[1])
        if kind is None:
            return []
        collection = kind(f"{parts[0]}/{parts[1]}", scope)
        if len(parts) == 3:
            return [item for _href, item in collection.get_multi([parts[2]]) if item is not None]
        found.append(collection)
        if depth != "0":
            found += list(collection.get_all())
        return found

    def move(self, item: radicale_item.Item, to_collection: storage.BaseCollection, to_href: str) -> None:
        raise Refused(403, _("kehu serve: contacts cannot be moved"))

    def create_collection(self, href: str, items: Any = None, props: Any = None) -> Any:
        raise Refused(403, _("kehu serve: the collections are kehu's; none can be created"))

    @contextlib.contextmanager
    def acquire_lock(self, mode: str, user: str = "", *args: Any, **kwargs: Any) -> Iterator[None]:
        """Reads go on side by side, each thread with its own store; a write waits for the
        other writes of the server and holds the store's lock, so the If-Match check and the
        write see the same files as ``kehu`` commands do."""
        state = served()
        store = state.store
        if not state.fixed_today:  # a server running past midnight moves to the new day
            store.today = resolve_today(None, store.config.today)
        if mode == "w":
            with state.write_lock, contextlib.ExitStack() as held:
                try:
                    held.enter_context(store.lock())
                except KehuError as exc:  # another kehu process writes (a sync, an import) past the wait:
                    # the phone is told to try again later (it was "A server error occurred", a traceback
                    # in the server's log), never a server's error
                    raise Refused(503, _("{why}; nothing was changed, and the phone can send it again later").format(
                        why=exc)) from None
                store.index.refresh()
                yield
        else:
            store.index.refresh()
            yield

    def verify(self) -> bool:
        return True
