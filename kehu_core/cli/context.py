"""What every command gets (:class:`Context`: the store, opened on first use; the index
for a read-only answer) and the few ways commands print besides their own output."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..i18n import _
from .collecting import freeze_store

if TYPE_CHECKING:
    from ..index.reader import IndexReader, Listing
    from ..store import Store


class Context:
    """What every command gets: the store path, opened on first use."""

    def __init__(self, store_path: Path | None, today: dt.date | None = None,
                 extra_plugins: dict[str, Any] | None = None, identity: Path | None = None):
        """``extra_plugins``: plugin objects registered besides the installed ones (tests);
        ``identity``: the age identity file that opens confidential fields."""
        self.identity = identity
        self._store_path = store_path
        self._extra_plugins = extra_plugins
        self._resolved: Path | None = None
        self._today = today
        self._store: Store | None = None
        #: the command lists the store's warnings itself (``kehu check``): not said on stderr too
        self.lists_warnings = False
        self._warned = False  # said already (from the index, or as the store opened)

    @property
    def store_path(self) -> Path:
        """The store this command works on (see :mod:`kehu_core.discovery`)."""
        if self._resolved is None:
            from ..discovery import resolve_store_path
            from ..paths import CONFIG_FILE

            path, is_demo = resolve_store_path(self._store_path)
            if is_demo:
                click.echo("kehu: " + _("no {config} in {folder} or above: working on the demo store "
                                        "(a copy at {path}); `kehu init PATH` makes a store of your own").format(
                    config=CONFIG_FILE, folder=Path.cwd(), path=path), err=True)
            self._resolved = path
        return self._resolved

    @property
    def store(self) -> Store:
        if self._store is None:
            from ..store import open_store

            self._store = open_store(self.store_path, today=self._today, extra_plugins=self._extra_plugins)
            self._store.identity_file = self.identity
            from .progress import IndexBuildProgress

            self._store.on_index_build = IndexBuildProgress.on_terminal()
            if not (self.lists_warnings or self._warned):
                say_warnings(self._store)
            self._warned = True
            from .undo_cmds import journal_command

            journal_command(self._store)  # the command's writes: one entry of the change journal
            freeze_store()
        return self._store

    def reader(self) -> IndexReader:
        """The index for a read-only answer (a search, a list): at once, without opening the
        store, when the index is known to be up to date; else once the store has brought it up
        to date (see kehu_core.index.freshness)."""
        from ..index.reader import IndexReader

        if self._store is None:  # (the day does not matter: what the reader gives is the profile)
            reader = IndexReader.open_current(self.store_path)
            if reader is not None:
                self._say_noted_warnings(reader)
                return reader
        return IndexReader.of(self.store.index)

    def listing(self, *, values: bool, keys: tuple[str, ...] = (),
                everyone: bool = True) -> tuple[IndexReader, Listing] | None:
        """The index, and lists read from it, when it is known to be up to date (and, with
        ``values``, the plugins' values kept in it: ``IndexReader.kept_values``) without
        opening the store or loading a plugin; else None, and the command opens the store.
        ``everyone=False``: the values need not be fresh for every customer (one is shown)."""
        from ..index.reader import IndexReader

        if self._store is not None or self._extra_plugins:
            return None
        reader = IndexReader.open_current(self.store_path)
        if reader is None:
            return None
        listing = (reader.kept_values(self.store_path, self._today, keys, everyone=everyone) if values
                   else reader.profiles())
        if listing is None:
            reader.close()
            return None
        self._say_noted_warnings(reader)
        return reader, listing

    def _say_noted_warnings(self, reader: IndexReader) -> None:
        """:func:`say_warnings` for an answer read from the index, the store never opened: from
        what the index noted of kehu.yaml (no YAML parser, no plugin loaded)."""
        if self._warned:
            return
        self._warned = True
        from ..entrypoints import advertised
        from ..paths import CONFIG_FILE
        from ..plugin_names import as_warning, noted

        config = self.store_path.resolve() / CONFIG_FILE
        for warning in noted(reader.settings.get("plugin_names"), advertised(), config):
            warn(as_warning(warning))

    def unlisted(self) -> int:
        """How many customers no list shows (``Index.unlisted``): from the open store's index,
        else from the index alone when it is up to date, else the store brings it up to date."""
        return self._count("unlisted")

    def unread_records(self) -> int:
        """How many records no report counts (``Index.unread_records``), as :meth:`unlisted`."""
        return self._count("unread_records")

    def unread_folders(self) -> int:
        """How many folders of customers cannot be read (``Index.unread_folders``), as :meth:`unlisted`."""
        return self._count("unread_folders")

    def _count(self, question: str) -> int:
        """A count the index's records answer (``unlisted``, ``unread_records``, ``unread_folders``),
        read from the index alone when the store is not open and the index is up to date."""
        from ..index.reader import IndexReader

        if self._store is None:
            reader = IndexReader.open_current(self.store_path)
            if reader is not None:
                try:
                    return int(getattr(reader.records(), question)())
                finally:
                    reader.close()
        return int(getattr(self.store.index, question)())

    @property
    def today_given(self) -> bool:
        """The day was given (``--today``, ``KEHU_TODAY``) rather than the system's."""
        return self._today is not None or bool(os.environ.get("KEHU_TODAY"))

    def at(self, day: dt.date | None) -> dt.date:
        """A command's own ``--today``/``--as-of``: the store works at that day for the whole
        command (plugins, reminders and reports alike); without it, the store's day."""
        if day is not None:
            self._today = day
            if self._store is not None:
                self._store.today = day
        return self.store.today


pass_ctx = click.make_pass_decorator(Context)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


#: the JSON objects of a long list printed at a time (emit_json_list)
_JSON_PART = 2000


def emit_json_list(objects: Iterable[dict[str, Any]]) -> None:
    """``emit_json(list(objects))``, byte for byte, written a part at a time: a list of 100 000
    customers or reminders never holds every object or the whole JSON text at once."""
    pieces: list[str] = []
    size = 0
    for obj in objects:
        text = json.dumps(obj, ensure_ascii=False, indent=2, default=str)
        # an element of an indented list is its own dump with every line two spaces deeper
        pieces.append(("[\n  " if not size and not pieces else ",\n  ") + text.replace("\n", "\n  "))
        if len(pieces) >= _JSON_PART:
            click.echo("".join(pieces), nl=False)
            pieces, size = [], size + len(pieces)
    click.echo("".join(pieces) + ("\n]" if size or pieces else "[]"))


def warn(message: str) -> None:
    click.echo(f"kehu: {message}", err=True)


def say_warnings(store: Store) -> None:
    """On stderr, what in kehu.yaml a command goes on despite: a plugin name under ``enabled:``
    or ``disabled:`` that no installed plugin has (a typo turns the built-in plugins off)."""
    from ..plugin_names import as_warning

    for warning in store.plugins.unknown_names():
        warn(as_warning(warning))


def say_left_out(count: int, kind: str = "listed") -> None:
    """On stderr (``--json`` stays JSON), how many customers an output leaves out because their
    customer.yaml has a problem (``Index.unlisted``; the words: :mod:`kehu_core.left_out`).
    The exit code stays the command's: what it did show is right; ``kehu check`` exits 1."""
    from ..left_out import left_out, unread_folders

    message = left_out(count, kind)
    if message:
        warn(message)
    # the folders no count of customers can speak for, asked of the command's own index
    click_ctx = click.get_current_context(silent=True)
    command = click_ctx.find_object(Context) if click_ctx is not None else None
    folders = unread_folders(command.unread_folders()) if command is not None else None
    if folders:
        warn(folders)


def say_unread_records(count: int) -> None:
    """On stderr, how many records (a purchase, a complaint) an output counting them leaves out
    because their file has a problem (:func:`kehu_core.left_out.unread_records`), as
    :func:`say_left_out` says it of profiles."""
    from ..left_out import unread_records

    message = unread_records(count)
    if message:
        warn(message)
