"""The contacts an import has read, held until it is written: in a file (:mod:`.spill`).

Every contact of every file is held until the import is matched and written under the store's
lock (``import_limits: rows`` bounds how many). As Python objects a contact of a phone's card
is about 12 KB (its fields, the places of its values, a worker's guess of its profile), and an
import of 100 000 cards took 1.5 GB; packed in memory still 1 KB each. So they are written to
the import's spill file a group at a time, and read back a group at a time as they are matched.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .spill import Place, Spill

#: contacts packed together: enough for the compression to find what they share
GROUP = 500


class Held:
    """A list of contacts, appended and read once in order, held in ``spill`` in groups."""

    def __init__(self, spill: Spill) -> None:
        self._spill = spill
        self._groups: list[Place | list[Any]] = []  # in the file, or as they are when they cannot be
        self._open: list[Any] = []
        self._plain = False  # the open group holds a plugin's contact: never pickled
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, contact: Any, *, packable: bool = True) -> None:
        """``contact`` held; ``packable``: kehu's own reader's (a plugin's contact may hold any
        object, whose pickling would run its code outside the plugin's guard: held as it is)."""
        self._open.append((contact, packable))
        self._plain = self._plain or not packable
        self._count += 1
        if len(self._open) >= GROUP:
            self._groups.append(self._open if self._plain else self._spill.put(self._open))
            self._open, self._plain = [], False

    def truncate(self, count: int) -> None:
        """Only the first ``count`` contacts kept (a file refused whole after some were read)."""
        while self._count > count:
            if not self._open:
                group = self._groups.pop()
                self._open, self._plain = self._unpack(group), isinstance(group, list)
                if not isinstance(group, list):
                    self._spill.drop_from(group)  # the last put: read back, no longer needed there
            drop = min(len(self._open), self._count - count)
            del self._open[len(self._open) - drop:]
            self._count -= drop

    def drain(self) -> Iterator[tuple[Any, bool]]:
        """Each contact in order, and whether it is packable, let go of as it is given."""
        groups, self._groups = self._groups, []
        groups.reverse()  # popped from the end: each group freed once it is read back
        while groups:
            yield from self._unpack(groups.pop())
        last, self._open = self._open, []
        self._count = 0
        yield from last

    def _unpack(self, group: Place | list[Any]) -> list[Any]:
        return group if isinstance(group, list) else self._spill.get(group)
