"""Progress bars on stderr, only when stderr is a terminal (never in pipes, scripts or tests):
an import's rows, and the index made from a store's records on a command's first run in a new
clone (tens of seconds at 10 000 customers, minutes at 100 000, silent before)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from ..i18n import _


class ImportProgress:
    """``with ImportProgress() as on_progress``: the import's phases as bars (None off a terminal)."""

    def __enter__(self) -> Callable[[str, int, int | None], None] | None:
        self.bar: Any = None
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            console=Console(stderr=True), transient=True)
        self.bar.start()
        self.tasks: dict[str, Any] = {}
        return self.update

    def update(self, phase: str, advance: int, total: int | None) -> None:
        if phase not in self.tasks:
            label = _("reading rows") if phase == "read" else _("writing records")
            self.tasks[phase] = self.bar.add_task(label, total=total)
        elif total is not None:
            self.bar.update(self.tasks[phase], total=total)
        self.bar.advance(self.tasks[phase], advance)

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()


class IndexBuildProgress:
    """Called with (shards done, shards) while the index is made from nothing
    (``Store.on_index_build``): a bar from the first shard, gone when the last is stored."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.task: Any = None

    @classmethod
    def on_terminal(cls) -> IndexBuildProgress | None:
        return cls() if sys.stderr.isatty() else None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if done >= total:
                return  # a store of one shard: over before a bar is worth showing
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                                TimeElapsedColumn(), console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task(_("building the index from the records (a first command in this "
                                            "clone, or the index was deleted)"), total=total)
        self.bar.update(self.task, completed=done)
        if done >= total:
            self.bar.stop()
            self.bar = None
