"""Worker processes that make an address book made whole, and render its cards ahead.

A book made whole (a fresh index, a new day) computes every customer's values (the next
reminder, tier, points), note and revision, then renders every card with vobject: about
9 s of CPU for 10 000 customers, all of it per customer and in Python, so one process uses
one core however many the machine has. With worker processes (``serve: workers:``; by
default one a core, at most :data:`MOST`, for a book of :data:`POOL_FROM` customers or more)
the customers are made in chunks side by side (:func:`make_cards`), and the cards are then
rendered ahead in the version of the client asking, in the order a phone fetches them
(:func:`render_ahead`): a request for cards being rendered waits for them (:func:`rendered`)
instead of rendering them a second time. Other cards to render, :data:`RENDER_HERE_FROM` or
more at a time (the warm-up's other version, a phone's multiget), are sent to a worker too
(:func:`render_now`).

A worker is its own process: it opens the store for itself (plugins as kehu.yaml enables
them), makes cards with the same code as the server (:func:`.cards.cards_of`,
:func:`.cards.render`), keeps the plugins' values and the rendered texts in the index as the
server does, and sends back each card's revision and source. Plugins registered by hand
(``extra_plugins``, tests) cannot be loaded by another process: then nothing is made here.
A pool that fails (a worker killed) is dropped and the server makes its cards itself.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from ..i18n import _

if TYPE_CHECKING:
    from ..store import Store
    from .cards import Card

logger = logging.getLogger("kehu.serve")
MOST = 4  # workers at most, by default
POOL_FROM = 1000  # customers of a book made whole, from which the workers make it (by default)
RENDER_CHUNK = 100  # cards a render job (a phone's multiget asks for about as many)
RENDER_HERE_FROM = 20  # fewer cards to render (an edit's) are rendered by the server itself

_executor: ProcessPoolExecutor | None = None
_size = 0
_explicit = False
_lock = threading.RLock()  # a job done at once calls _forget in the submitting thread
#: (customer id, revision, apple) → the render job rendering that card
_ahead: dict[tuple[str, str, bool], Future[dict[str, str]]] = {}


def start(store: Store, workers: int | None) -> int:
    """Start the workers for ``store`` (``workers``: how many, None: one a core, at most
    :data:`MOST`, if the store has :data:`POOL_FROM` customers or more; 0: none); they open
    the store while the server starts. Returns how many."""
    global _executor, _size, _explicit
    import multiprocessing

    _explicit = workers is not None
    count = workers if workers is not None else min(os.cpu_count() or 1, MOST)
    if count < 1 or (workers is None and (count < 2 or store.index.count(up_to=POOL_FROM) < POOL_FROM)):
        return 0
    if store.plugins.extra:
        return 0
    from .. import i18n

    # spawned, not forked: the server has threads (a fork copies their locks, held or not)
    _executor = ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_open, initargs=(str(store.root), i18n.language(),
                                                                 store.identity_file))
    _size = count
    try:
        for _worker in range(count):
            _executor.submit(_ready)
    except Exception as exc:  # no process could be started (a limit on processes): served without
        _drop(exc)
        return 0
    return count


def stop() -> None:
    global _executor
    with _lock:
        executor, _executor = _executor, None
        _ahead.clear()
    if executor is not None:
        executor.shutdown(wait=False, cancel_futures=True)


def _drop(exc: BaseException) -> None:
    logger.warning(_("kehu serve: the worker processes failed ({why}); the server makes the cards itself")
                   .format(why=exc or type(exc).__name__))
    stop()


def make_cards(store: Store, ids: list[str]) -> list[Card] | None:
    """The cards of these customers made by the workers, in order (a customer gone meanwhile
    left out); None if there are no workers for a book this size (or they failed): the
    caller makes them."""
    from .cards import Card

    executor = _executor
    if executor is None or not ids or (not _explicit and len(ids) < POOL_FROM):
        return None
    size = -(-len(ids) // (_size * 2))  # two chunks a worker: one finishing late waits less
    try:
        futures = [executor.submit(_cards, ids[first:first + size], store.today)
                   for first in range(0, len(ids), size)]
        rows = [row for future in futures for row in future.result()]
    except Exception as exc:  # a broken pool (a worker killed): made here instead
        _drop(exc)
        return None
    return [Card(cid, href, uid, revision, None, computed, note, data)
            for cid, href, uid, revision, computed, note, data in rows]


def render_ahead(store: Store, cards: list[Card], versions: tuple[bool, ...] = (False, True)) -> None:
    """Render these cards in the workers, :data:`RENDER_CHUNK` at a time in this order, in
    each version (apple or not), kept in the index; :func:`rendered` waits for them. (The
    book's other version is left to the warm-up, which sends it to the workers in the
    pauses of the requests: rendered now, it would compete with the phone fetching this one.)"""
    executor = _executor
    if executor is None:
        return
    try:
        for apple in versions:
            for first in range(0, len(cards), RENDER_CHUNK):
                chunk = cards[first:first + RENDER_CHUNK]
                keys = [(card.customer_id, card.revision, apple) for card in chunk]
                with _lock:
                    future = executor.submit(_render, [_sent(card) for card in chunk], apple, store.today)
                    _ahead.update(dict.fromkeys(keys, future))
                # once rendered, the texts are in the index's table of rendered cards, where
                # a request looks first: nothing to wait for any more
                future.add_done_callback(lambda _done, keys=keys: _forget(keys))
    except Exception as exc:  # a broken pool: what was not sent is rendered by the requests
        _drop(exc)


def _forget(keys: list[tuple[str, str, bool]]) -> None:
    with _lock:
        for key in keys:
            _ahead.pop(key, None)


def render_now(store: Store, cards: list[Card], apple: bool) -> dict[str, str] | None:
    """These cards rendered by a worker, waiting for it (the server's own thread is free for
    other requests meanwhile); None if there are no workers (or they failed)."""
    executor = _executor
    if executor is None:
        return None
    try:
        return executor.submit(_render, [_sent(card) for card in cards], apple, store.today).result()
    except Exception as exc:  # a broken pool: the caller renders them
        _drop(exc)
        return None


def rendered(cards: list[Card], apple: bool) -> dict[str, str]:
    """The texts of these cards that the workers render (waiting for them), by customer id."""
    if not _ahead:
        return {}
    with _lock:
        futures = {card.customer_id: _ahead.get((card.customer_id, card.revision, apple)) for card in cards}
    out: dict[str, str] = {}
    for cid, future in futures.items():
        if future is None:
            continue
        try:
            texts = future.result()
        except Exception:  # cancelled, or the pool broke: the caller renders them
            continue
        if cid in texts:
            out[cid] = texts[cid]
    return out


def _sent(card: Card) -> tuple[Any, ...]:
    from .cards import source_data

    return (card.customer_id, card.href, card.uid, card.revision, card.computed, card.note,
            card.data if card.data is not None else source_data(card))


# --- in the worker process -------------------------------------------------------------------

_store: Store | None = None


def _open(root: str, language: str, identity_file: Any) -> None:
    global _store
    import gc
    import multiprocessing.connection

    from .. import i18n
    from ..collector import without_cyclic_gc

    parent = multiprocessing.parent_process()
    if parent is not None:  # a server stopped by a signal does not stop its workers: they see it gone
        threading.Thread(target=lambda: (multiprocessing.connection.wait([parent.sentinel]), os._exit(0)),
                         name="kehu-serve-parent", daemon=True).start()
    # as the kehu command does (kehu_core.cli.hold_collector): the cyclic collector held off
    # while kehu is imported and the store opened (modules, classes, pydantic's schemas: many
    # objects, all living as long as the worker), which are then frozen out of its reach, so
    # that its collections while the worker makes and renders cards do not go through them
    with without_cyclic_gc():
        from ..store import open_store

        i18n.set_language(language)
        _store = open_store(root)
        _store.identity_file = identity_file
        gc.freeze()


def _ready() -> None:
    """Nothing: submitted once a worker, so that each starts (and opens the store) at once."""


def _worker_store(today: Any) -> Store:
    assert _store is not None
    _store.today = today
    return _store


def _cards(ids: list[str], today: Any) -> list[tuple[Any, ...]]:
    from . import cards as card_rules

    store = _worker_store(today)
    made = card_rules.cards_by_id(store, ids)
    return [(c.customer_id, c.href, c.uid, c.revision, c.computed, c.note, c.data) for c in made]


def _render(rows: list[tuple[Any, ...]], apple: bool, today: Any) -> dict[str, str]:
    from . import cards as card_rules

    store = _worker_store(today)
    cards = [card_rules.Card(cid, href, uid, revision, None, computed, note, data)
             for cid, href, uid, revision, computed, note, data in rows]
    return card_rules.render(store, cards, apple)
