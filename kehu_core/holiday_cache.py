"""The holidays package's table of a year, kept in the user's cache between commands.

What a year's Chinese days off are depends only on the ``holidays`` package (its version) and
the year; working it out imports the package's country registry and runs its rules (0.2-0.4 s,
paid by every ``customer show`` whose reminders greet for a holiday). The answer is kept as a
small JSON file per year, named after the package's installed files, so an upgrade of the
package (a new year's 调休 announced) is a new name and is worked out afresh. A cache that
cannot be read or written is no error: the table is worked out in place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .smallfiles import read_kept_json

#: one year's days off (day → label) and 调休 working weekend days
Table = tuple[dict[dt.date, str], frozenset[dt.date]]
FORMAT = 1  # moves when the file's layout changes


def _package_stamp() -> str | None:
    """Which holidays package is installed: its location and its version file's mtime and size
    (found without importing it, which is what the cache saves)."""
    spec = importlib.util.find_spec("holidays")
    if spec is None or not spec.origin:
        return None
    try:
        version = os.stat(Path(spec.origin).with_name("version.py"))
    except OSError:
        return None
    key = f"{FORMAT}|{spec.origin}|{version.st_mtime_ns}|{version.st_size}"
    return hashlib.sha1(key.encode()).hexdigest()[:16]


def _cache_file(year: int) -> Path | None:
    from platformdirs import user_cache_dir

    stamp = _package_stamp()
    return Path(user_cache_dir("kehu")) / f"holidays-CN-{year}-{stamp}.json" if stamp else None


def cached_year(year: int, work_out: Callable[[int], Table]) -> Table:
    """``work_out(year)``, read from the cache when it was worked out before."""
    path = _cache_file(year)
    if path is not None:
        data = read_kept_json(path)  # never waits on a FIFO put there, nor fails on JSON too deep
        try:
            return ({dt.date.fromisoformat(d): str(label) for d, label in data["days"].items()},
                    frozenset(dt.date.fromisoformat(d) for d in data["weekend_workdays"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            pass  # not there yet, or unreadable: work it out
    table = work_out(year)
    if path is not None:
        _write(path, table)
    return table


def _write(path: Path, table: Table) -> None:
    days, workdays = table
    data = {"days": {d.isoformat(): label for d, label in sorted(days.items())},
            "weekend_workdays": sorted(d.isoformat() for d in workdays)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # whole or not at all: two commands may write the same year at once
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                         suffix=".partial") as out:
            json.dump(data, out, ensure_ascii=False)
        os.replace(out.name, path)
    except OSError:
        pass  # a read-only home: worked out again next time
