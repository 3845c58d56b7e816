"""Noticing that someone else changed the store (the CLI, a ``git pull``, another app).

The index already knows how to find changed files (``Index.differing_files``: size and mtime
of every record). The walk over the folders runs in a worker thread with its own index
connection (a connection belongs to the thread that made it), so the screen never waits for a
scan of a big store.
The walk only looks (it writes nothing); the few changed files are then re-read through
the app's own index, which moves the index generation, so that every plugin cache and plugin
table keyed on it sees the new data.
The pause between two scans grows with the time a scan takes, so a 100 000-customer store
is not scanned continuously.
kehu.yaml is looked at too (its size and mtime, as the index notes it): a `kehu sync` in another
terminal that pulls a colleague's settings (tiers, reps, a plugin's) has the app read them again.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kehu_core.index import Index
    from kehu_core.store import Store


#: changed files beyond which they are read on the background thread, not the screen's: a look
#: that opened the index just made anew (overwritten under the app) found every file changed,
#: and the screen read 100 000 of them before it answered a key
MANY_FILES = 100


def looking_index(store: Store) -> Index:
    """An index of its own for a thread that only looks (the watcher's, the merge notice's).
    Damage it meets in the middle of a read makes the file anew, but it is not filled there
    (``refill_elsewhere``): filled on that thread, the whole rebuild ran beside the app's own,
    and quitting the app waited for it (Python waits for a worker thread at exit). The
    watcher's look at the file made anew finds every record file changed, and the app reads
    them where it reads many (``KehuApp._checked``: on the background thread)."""
    from kehu_core.index import Index

    index = Index(store)
    index.refill_elsewhere = _left_to_the_look
    return index


def _left_to_the_look() -> None:
    """The file made anew is filled from what the watcher's look finds (:func:`looking_index`)."""


class StoreWatcher:
    def __init__(self, store: Store, interval: float) -> None:
        self.store = store
        self.interval = interval
        self.last_scan_seconds = 0.0
        self.settings_seen = self._settings_stamp()  # kehu.yaml as the app's settings were read

    def _settings_stamp(self) -> str:
        from kehu_core.index.freshness import config_stamp

        return config_stamp(self.store.root)

    def settings_changed(self) -> str | None:
        """kehu.yaml's new stamp when it changed since :attr:`settings_seen` (any thread), else None."""
        stamp = self._settings_stamp()
        return stamp if stamp != self.settings_seen else None

    def changed_files(self) -> list[Path]:
        """Record files added, changed or removed since the index last saw them (any thread)."""
        started = time.perf_counter()
        index = looking_index(self.store)
        try:
            changed = index.differing_files()
        finally:
            index.close()
        self.last_scan_seconds = time.perf_counter() - started
        return [self.store.root / p for p in changed]

    def apply(self, paths: list[Path]) -> None:
        """Re-read those files into the index (the thread that owns ``store.index``)."""
        self.store.index.refresh_paths(paths)

    @property
    def next_delay(self) -> float:
        # Spend at most about a tenth of the time scanning.
        return max(self.interval, self.last_scan_seconds * 10)
