"""Work that takes long on a big store, done off the screen's thread.

Plugin values (the tiering plugin ranks every customer before it can name one's tier),
dashboard figures and the day's reminders can take seconds with 100 000 customers. They run
on one worker thread that has a store of its own: an SQLite connection may only be used by
the thread that opened it, and plugins cache per store. When the data changes (a save here,
a change by another process), ``invalidate`` makes the thread open a fresh store, so no
cache keyed on the old one can serve stale figures. The fresh store works with the app's
settings (``settings()``), not kehu.yaml read again: one the app could not read when it changed
underneath is kept until it is mended, and the worker's store keeps it too (reading it again
there ended the app in a RecordError traceback after the next save).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import queue
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from kehu_core.config import StoreConfig
    from kehu_core.store import Store

T = TypeVar("T")
W = TypeVar("W")


def saying_errors(
    job: Callable[..., Coroutine[Any, Any, W]],
) -> Callable[..., Coroutine[Any, Any, W | None]]:
    """A widget's or screen's async worker (``@work``, put above this) that says a user's
    problem it meets (a KehuError: a record, the index or kehu.yaml broken or replaced by a
    FIFO or a folder meanwhile; an OSError: a full disk, a file it may not write) in an error
    notice and ends, keeping the screen. Textual's ``@work`` ends the whole app in a traceback
    on any exception a worker lets out (``exit_on_error``): a values worker whose fresh store
    found ``.kehu/index.sqlite`` replaced by a folder did. A bug (any other exception) still
    ends the app, as it should."""
    from kehu_core.errors import KehuError

    @functools.wraps(job)
    async def said(self: Any, *args: Any, **kwargs: Any) -> W | None:
        try:
            return await job(self, *args, **kwargs)
        except (KehuError, OSError) as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return None

    return said


#: customers beyond which the app opens on an empty index (a new clone, a deleted index) at once
#: and fills it on the background thread: filled first, 10 000 customers held the terminal
#: blank for 20 s of CPU before the first screen (minutes at 100 000)
FILL_FIRST_UP_TO = 500


def open_index_quickly(store: Store, *, fill_up_to: int | None = None) -> bool:
    """Give ``store`` its index without waiting for a scan when the index already has data.

    ``store.index`` compares every folder with the index before its first answer, which takes
    seconds on a big store. A filled index is used at once instead; the app's watcher (whose
    first look starts right away) brings it up to date and refreshes the views. An empty
    index (a new clone) or one left half built is built first, unless the store has more than ``fill_up_to``
    customers: then it is left empty for the caller to fill elsewhere. Whether it is filled."""
    if store.opened_index is not None:
        return True
    from itertools import islice

    from kehu_core.index import Index

    index = Index(store)
    store.use_index(index)
    if index.count(up_to=1) > 0 and index.built():
        return True  # (one left half built, a quit in the middle of its first build, is filled on)
    if fill_up_to is not None and len(list(islice(store.iter_customer_ids(), fill_up_to + 1))) > fill_up_to:
        return False
    index.refresh()
    return True


def refill_index(store: Store) -> None:
    """Fill ``store``'s index from the records (made anew after damage; a background job)."""
    store.index.refresh(full=True)  # every file compared: what the watcher handed over, too


class Background:
    """One worker thread with a store of its own; jobs run one after the other.

    The app keeps two: one for the list, detail and Today screens (plugin values, reminders),
    and one for the dashboard, whose figures take seconds on a big store and must not hold
    up the list's values.

    The thread is a daemon (not a ThreadPoolExecutor's, which Python waits for at exit): a
    user who quits while the dashboard still computes must not wait for it.
    """

    def __init__(self, root: Path, name: str = "kehu-background", *, today: dt.date | None = None,
                 settings: Callable[[], StoreConfig] | None = None,
                 index_ready: threading.Event | None = None) -> None:
        self.root = root
        # cleared while another thread fills the index made anew: a job waits for it rather than
        # open a store on the empty file, which filled it a second time beside that rebuild
        # (minutes at 100 000 customers) or, on a file half filled, answered from part of it
        self.index_ready = index_ready
        self._closed = False
        self.today = today  # the app's day: the worker's store works at it too
        self.settings = settings  # the app's settings as it keeps them (None: kehu.yaml's)
        self.generation = 0
        self.name = name
        self._jobs: queue.SimpleQueue[tuple[Future[Any], int, Callable[..., Any], tuple[Any, ...]] | None]
        self._jobs = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._store: Store | None = None
        self._store_generation = -1

    def invalidate(self) -> None:
        """The store changed: the next job opens a fresh store (fresh plugin caches)."""
        self.generation += 1

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(store, *args)`` on the worker thread, with the thread's own store.

        Cancelling the awaiting task drops a job that has not started yet."""
        future: Future[T] = Future()
        self._jobs.put((future, self.generation, fn, args))
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name=self.name, daemon=True)
            self._thread.start()
        return await asyncio.wrap_future(future)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, generation, fn, args = job
            if self.index_ready is not None and not self.index_ready.is_set():
                self.index_ready.wait()
                generation = self.generation  # the index filled since: a store opened on it
            if self._closed:
                future.cancel()  # the app quit while the job waited: never fill the index after it
            if not future.set_running_or_notify_cancel():
                continue  # its caller stopped waiting before it started
            try:
                result = self._again_if_mended(generation, fn, args)
            except BaseException as exc:  # handed to the awaiting task, which says it
                future.set_exception(exc)
            else:
                future.set_result(result)

    def _again_if_mended(self, generation: int, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        """:meth:`_call`, asked once more when the index met damage inside a read it could not ask
        again itself (a plugin's snapshot) and made the file anew: answered from the new file."""
        from kehu_core.index.mending import IndexDamaged

        try:
            return self._call(generation, fn, args)
        except IndexDamaged:
            return self._call(generation, fn, args)

    def _call(self, generation: int, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        if self._store is None or self._store_generation != generation:
            from kehu_core.store import open_store

            if self._store is not None and self._store.opened_index is not None:
                self._store.index.close()
            settings = self.settings() if self.settings is not None else None
            store = open_store(self.root, today=self.today, config=settings)
            store.journal_as = "kehu tui"  # as the app's own store: its saves can be undone
            # the rebuild's own job fills an empty index itself, once: filled here first, it
            # then compared every file again (2 s more at 10 000 customers)
            open_index_quickly(store, fill_up_to=0 if fn is refill_index else None)
            self._store, self._store_generation = store, generation
        return fn(self._store, *args)

    def shutdown(self) -> None:
        """Cancel the jobs not started yet and let the thread end after the current one."""
        self._closed = True
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[0].cancel()
        self._jobs.put(None)
