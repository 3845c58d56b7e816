"""Reminders put in an order across a whole store without holding them all: ``kehu reminders``
lists a store's reminders by group and day, the calendar export by day, and 10 000 customers
give some 60 000 reminders (a model each, 388 MB for the listing, most of the export's 415 MB).

:class:`SortedReminders` takes the reminders as the engine finds them, customer by customer,
and keeps them in sorted parts of :data:`PART`: each full part is written to an anonymous
temporary file (no name in any folder; gone with the process), the last one kept, and the
parts are merged as they are read. Read as JSON objects (``--json``) or as reminders (the text
list, the calendars), any number of times. Equal places keep the order the reminders came in
(the merge takes the earlier part first), so the order is :func:`sorted`'s of the whole list.
"""

from __future__ import annotations

import datetime as dt
import heapq
import pickle
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any

from .models import Reminder
from .reminder_engine import due_order, each_due
from .reminder_groups import group_of

if TYPE_CHECKING:
    from .store import Store

#: reminders sorted in memory at a time (~5 MB); a store of 10 000 customers has ~12 parts
PART = 5_000
#: parts kept in files at most: that many are merged into one (a file open for each part
#: that is read at once; a million customers' would pass the limit of open files)
MOST_FILES = 100

_Kept = tuple[Any, dict[str, Any]]  # (place in the order, the reminder's JSON object)


class SortedReminders:
    """``reminders`` in the order of ``key`` (a reminder's place, e.g.
    ``reminder_groups.group_order``), read part by part from where they are kept."""

    def __init__(self, reminders: Iterable[Reminder], key: Callable[[Reminder], Any]) -> None:
        self.count = 0
        self.counts: Counter[str] = Counter()  # per group (Today's and the listing's headings)
        self._files: list[IO[bytes]] = []
        part: list[_Kept] = []
        for reminder in reminders:
            self.count += 1
            self.counts[reminder.group or group_of(reminder)] += 1
            # its JSON object as the listing prints it, a rule's own subclass's fields too
            part.append((key(reminder), reminder.model_dump(mode="json")))
            if len(part) >= PART:
                self._spill(part)
                part = []
        self._part = sorted(part, key=_place)

    def _spill(self, part: list[_Kept]) -> None:
        handle = tempfile.TemporaryFile()  # noqa: SIM115 - kept open until close()
        self._files.append(handle)
        for kept in sorted(part, key=_place):
            # each on its own (one pickler's memo held every object it wrote, and a cleared
            # one numbers its objects anew where one unpickler's goes on counting)
            pickle.dump(kept, handle, protocol=pickle.HIGHEST_PROTOCOL)
        handle.flush()
        if len(self._files) >= MOST_FILES:  # one part of them all, in order, in their place
            merged = tempfile.TemporaryFile()  # noqa: SIM115 - kept open until close()
            for kept in heapq.merge(*map(_read, self._files), key=_place):
                pickle.dump(kept, merged, protocol=pickle.HIGHEST_PROTOCOL)
            merged.flush()
            self.close()
            self._files = [merged]

    def objects(self) -> Iterator[dict[str, Any]]:
        """Each reminder's JSON object (``Reminder.model_dump(mode="json")``), in order."""
        parts = [_read(handle) for handle in self._files]
        for _place_of, obj in heapq.merge(*parts, iter(self._part), key=_place):
            yield obj

    def __iter__(self) -> Iterator[Reminder]:
        for obj in self.objects():
            yield Reminder.model_validate(obj)

    def __len__(self) -> int:
        return self.count

    def close(self) -> None:
        for handle in self._files:
            handle.close()
        self._files = []

    def __enter__(self) -> SortedReminders:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _place(kept: _Kept) -> Any:
    return kept[0]


def _read(handle: IO[bytes]) -> Iterator[_Kept]:
    """A part's reminders from its file, from its start (each reading of the list begins anew)."""
    handle.seek(0)
    while True:
        try:
            yield pickle.load(handle)  # kehu's own file, written just now by _spill
        except EOFError:
            return


def sorted_due(store: Store, start: dt.date, end: dt.date, *, keep: Callable[[Reminder], bool] | None = None,
               order: Callable[[Reminder], Any] | None = None) -> SortedReminders:
    """``reminder_engine.due_reminders`` (those ``keep`` keeps) in the order of ``order`` (a
    reminder's place: ``reminder_groups.group_order``; by default ``due_reminders``' own),
    found customer by customer (``reminder_engine.each_due``) and sorted in parts, never held
    whole (:class:`SortedReminders`; close it when done)."""
    found = each_due(store, start, end)
    return SortedReminders(found if keep is None else filter(keep, found), order or due_order)
