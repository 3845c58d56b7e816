"""Work that takes long on a big store, done off the screen's thread.

Plugin values (the tiering plugin ranks every customer before it can name one's tier),
dashboard figures and the day's reminders can take seconds with 100 000 customers. They run
on one worker thread that has a store of its own: an SQLite connection may only be used by
the thread that opened it, and plugins cache per store. When the data changes (a save here,
a change by another process), ``invalidate`` makes the thread open a fresh store, so no
cache keyed on the old one can serve stale figures.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from kehu_core.store import Store

T = TypeVar("T")


def open_index_quickly(store: Store) -> None:
    """Give ``store`` its index without waiting for a scan when the index already has data.

    ``store.index`` compares every folder with the index before its first answer, which takes
    seconds on a big store. A filled index is used at once instead; the app's watcher (whose
    first look starts right away) brings it up to date and refreshes the views. An empty
    index (a new clone) is built first.
    """
    if "index" in store.__dict__:
        return
    from kehu_core.index import Index

    index = Index(store)
    if index.count() == 0:
        index.refresh()
    store.index = index  # type: ignore[misc]  # what the cached property would have stored


class Background:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.generation = 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kehu-background")
        self._store: Store | None = None
        self._store_generation = -1

    def invalidate(self) -> None:
        """The store changed: the next job opens a fresh store (fresh plugin caches)."""
        self.generation += 1

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(store, *args)`` on the worker thread, with the thread's own store."""
        generation = self.generation
        future = self._pool.submit(self._call, generation, fn, args)
        return await asyncio.wrap_future(future)

    def _call(self, generation: int, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        if self._store is None or self._store_generation != generation:
            from kehu_core.plugins import open_store

            if self._store is not None and "index" in self._store.__dict__:
                self._store.index.db.close()
            store = open_store(self.root)
            open_index_quickly(store)
            self._store, self._store_generation = store, generation
        return fn(self._store, *args)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
