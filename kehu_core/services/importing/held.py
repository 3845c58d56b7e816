"""The contacts an import has read, held until it is written, packed.

Every contact of every file is held until the import is matched and written under the store's
lock (``import_limits: rows`` bounds how many). As Python objects a contact of a phone's card
is about 12 KB (its fields, the places of its values, a worker's guess of its profile), and an
import of 100 000 cards took 1.5 GB; a sheet's row some KB. So they are held pickled and
compressed, a group at a time, and unpacked a group at a time as they are matched.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Iterator
from typing import Any

#: contacts packed together: enough for the compression to find what they share
GROUP = 500


class Held:
    """A list of contacts, appended and read once in order, held packed in groups."""

    def __init__(self) -> None:
        self._groups: list[bytes | list[Any]] = []  # packed, or as they are when they cannot be
        self._open: list[Any] = []
        self._plain = False  # the open group holds a plugin's contact: never pickled
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, contact: Any, *, packable: bool = True) -> None:
        """``contact`` held; ``packable``: kehu's own reader's (a plugin's contact may hold any
        object, whose pickling would run its code outside the plugin's guard: held as it is)."""
        self._open.append(contact)
        self._plain = self._plain or not packable
        self._count += 1
        if len(self._open) >= GROUP:
            self._groups.append(self._open if self._plain else _pack(self._open))
            self._open, self._plain = [], False

    def truncate(self, count: int) -> None:
        """Only the first ``count`` contacts kept (a file refused whole after some were read)."""
        while self._count > count:
            if not self._open:
                group = self._groups.pop()
                self._open, self._plain = _unpack(group), isinstance(group, list)
            drop = min(len(self._open), self._count - count)
            del self._open[len(self._open) - drop:]
            self._count -= drop

    def drain(self) -> Iterator[Any]:
        """Each contact in order, let go of as it is given (a group unpacked at a time)."""
        groups, self._groups = self._groups, []
        groups.reverse()  # popped from the end: each group freed once it is unpacked
        while groups:
            yield from _unpack(groups.pop())
        last, self._open = self._open, []
        self._count = 0
        yield from last


def _pack(contacts: list[Any]) -> bytes:
    return zlib.compress(pickle.dumps(contacts, pickle.HIGHEST_PROTOCOL), 1)


def _unpack(group: bytes | list[Any]) -> list[Any]:
    if isinstance(group, list):
        return group
    return pickle.loads(zlib.decompress(group))  # noqa: S301 - packed by this process itself
