"""Where an import keeps what it has read and planned while it runs: a file, not its memory.

An import reads every contact of its files before it writes any (a file refused whole at its
last row, or past ``import_limits: rows``, writes nothing), and plans every customer before it
writes the first (a sheet's tenth row of a customer may come last). Held in memory, even packed,
that grew with the file: 100 000 cards of a phone took 1.2 GB. So each part is pickled,
compressed and written to a temporary file, and only where it lies is held.

The file has no name (``tempfile.TemporaryFile``: removed by the system when it is closed, or
when kehu is killed) and lies in the store's state folder, on the store's own disk: values of a
store that seals some fields are never put among anyone's temporary files. Where no file can be
made there (a read-only store's dry run), the system's temporary folder; failing that, memory.
"""

from __future__ import annotations

import errno
import io
import os
import pickle
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

#: where a part lies in the file: its offset and its length
Place = tuple[int, int]


class Spill:
    """A temporary file of parts, each appended once and read back (any number of times)."""

    def __init__(self, folder: Path | None = None) -> None:
        self._file: IO[bytes] | None = None
        self._folder = folder
        self._end = 0

    def _opened(self) -> IO[bytes]:
        if self._file is None:
            self._file = _temporary(self._folder)
        return self._file

    def put(self, part: Any) -> Place:
        """``part`` (any object kehu's own code made: pickled) written at the end of the file."""
        data = zlib.compress(pickle.dumps(part, pickle.HIGHEST_PROTOCOL), 1)
        try:
            _write_at(self._opened(), self._end, data)
        except OSError:  # a full disk: held in memory instead; the import fails where it writes a record, named
            assert self._file is not None
            self._file.seek(0)
            kept = io.BytesIO(self._file.read(self._end))
            self._file.close()
            self._file = kept
            _write_at(kept, self._end, data)
        place = (self._end, len(data))
        self._end += len(data)
        return place

    def get(self, place: Place) -> Any:
        """The part written at ``place``, as it was put."""
        handle = self._opened()
        handle.seek(place[0])
        data = handle.read(place[1])
        return pickle.loads(zlib.decompress(data))  # noqa: S301 - written by this process itself

    def drop_from(self, place: Place) -> None:
        """The file cut at ``place``: it and every part put after it are no longer needed."""
        if self._file is not None and place[0] < self._end:
            self._end = place[0]
            self._file.truncate(self._end)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self._end = 0


def _write_at(handle: IO[bytes], offset: int, data: bytes) -> None:
    handle.seek(offset)
    view = memoryview(data)
    while view:  # unbuffered: a full disk is met here, not at a later read
        written = handle.write(view)
        if not written:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def _temporary(folder: Path | None) -> IO[bytes]:
    for where in ([folder] if folder is not None else []) + [None]:
        try:
            return tempfile.TemporaryFile(dir=where, buffering=0)
        except OSError:  # a read-only store, a folder not made yet: the next place
            continue
    return io.BytesIO()


class SpilledList:
    """A list appended to and read in order, its items (kehu's own plain data) put in a
    :class:`Spill` a group at a time once one is given (``spill``); the first group stays in
    memory, as what is shown first (the summary's first lines)."""

    GROUP = 1000

    def __init__(self, items: list[Any] | None = None) -> None:
        self.spill: Spill | None = None
        self._first: list[Any] = []
        self._groups: list[Place] = []
        self._open: list[Any] = []
        self._count = 0
        for item in items or ():
            self.append(item)

    def append(self, item: Any) -> None:
        self._count += 1
        if len(self._first) < self.GROUP:
            self._first.append(item)
            return
        self._open.append(item)
        if len(self._open) >= self.GROUP and self.spill is not None:
            self._groups.append(self.spill.put(self._open))
            self._open = []

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[Any]:
        yield from self._first
        for place in self._groups:
            assert self.spill is not None
            yield from self.spill.get(place)
        yield from self._open

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice) and (index.stop is not None and 0 <= index.stop <= len(self._first)) \
                and (index.start or 0) >= 0:
            return self._first[index]
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        return list(self) == (list(other) if isinstance(other, SpilledList) else other)

    def __repr__(self) -> str:
        return repr(list(self))
