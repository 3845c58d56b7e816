"""The YAML store: a folder (normally a git repo) of customer records.

Layout (see README "Store layout")::

    kehu.yaml                                  settings, schema_version
    customers/<shard>/<id>/customer.yaml       the profile, one file per customer
    customers/<shard>/<id>/interactions/<date>-<rand>.yaml
                                               one file per purchase, visit, call ...
    customers/<shard>/<id>/<name>.ledger.yaml  append-only ledgers of plugins (points, tiers)
    .kehu/                                     derived data (index, lock), never committed

Everything about one customer lives under one folder, so ``git log`` of that folder is the
customer's history. Two clones adding interactions create different files and never touch the
same lines; ledgers are one entry per line and merge as a union (``.gitattributes``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..clock import day_is_fixed, resolve_today
from ..clock import now as clock_now
from ..config import CONFIG_FILE, SCHEMA_VERSION, StoreConfig
from ..config_names import shop_name
from ..errors import Problem, RecordError, StoreError
from ..i18n import _
from ..journal import Recorder
from ..models import Customer
from ..paths import STATE_DIR
from ..plugins import PluginHost
from ..read_only import read_only
from ..yamlio import special_file_message
from .batch_state import OpenBatch
from .config_file import read_store_config
from .layout import CUSTOMERS_DIR, GITATTRIBUTES, GITIGNORE, atomic_write
from .undo_on_error import WriteLog

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..index import Index

from .batch import BatchMixin
from .bulk import BulkMixin
from .customer_rules import CustomerRulesMixin
from .customer_writes import CustomerWritesMixin
from .customers import CustomersMixin
from .interactions import InteractionsMixin
from .layout import LayoutMixin
from .ledgers import LedgersMixin
from .locking import LockingMixin
from .undo_on_error import UndoOnErrorMixin


class Store(LayoutMixin, LockingMixin, CustomersMixin, CustomerRulesMixin, CustomerWritesMixin, InteractionsMixin,
            BulkMixin, LedgersMixin, BatchMixin, UndoOnErrorMixin):
    """A kehu store on disk. Reads are lock-free; every write is atomic and under the lock."""

    def __init__(self, root: Path, config: StoreConfig, *, config_doc: Any = None,
                 today: dt.date | str | None = None, plugins: bool = False,
                 extra_plugins: dict[str, Any] | None = None):
        self.root = root
        self.config = read_only(config)  # what every plugin is handed: changed by none (kehu_core.read_only)
        # the day every service, plugin and report of this store takes as today (kehu_core.clock)
        self.today: dt.date = resolve_today(today, config.today)
        # a set day keeps one time of day (clock.now): its moments never cross real midnight
        self.today_fixed: bool = day_is_fixed(today, config.today)
        self._config_doc = config_doc
        # the store's plugins: those kehu.yaml enables (``plugins=True``, what the CLI and the
        # TUI open) or none at all (a bare store for low-level work), never missing
        self.plugins: PluginHost = PluginHost(
            config.plugins, extra_plugins, discover=plugins, config_path=root / CONFIG_FILE)
        self._batch: OpenBatch | None = None
        self._index: Index | None = None
        #: told (shards done, shards) while an index of this store is made from nothing
        #: (``Index.on_first_build``; the CLI's progress bar)
        self.on_index_build: Callable[[int, int], None] | None = None
        self._write_index: Index | None = None  # see _index_for_writes
        self._lock_owner: int | None = None  # thread holding the lock, and how many times
        self._lock_depth = 0
        self._batch_customers: dict[str, Customer] | None = None  # profiles written in a batch
        self._told_apart: frozenset[str] = frozenset()  # see BatchMixin.saved_by_plugins
        self._write_logs: list[WriteLog] = []  # open undo_on_error blocks, innermost last
        self._put_back_said = ""  # a killed sync's failed put-back, said as the store opened
        #: thread → (plugin, hook) while a plugin's hook that only reads runs in it (see only_reading)
        self._recording: Recorder | None = None  # the open change (kehu_core.journal)
        # what to record a write made outside an open change as (the TUI: "kehu tui"); None:
        # nothing (the CLI opens one change per command itself)
        self.journal_as: str | None = None
        # the age identity file that opens confidential fields (``--identity``; else
        # KEHU_IDENTITY is read): see kehu_core.confidential
        self.identity_file: Path | None = None

    # --- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, root: str | os.PathLike[str], *, today: dt.date | str | None = None,
             plugins: bool = False, extra_plugins: dict[str, Any] | None = None,
             config: StoreConfig | None = None) -> Store:
        """``config``: settings already read, instead of reading kehu.yaml now (the TUI's
        worker keeps the app's, which are kept while a kehu.yaml changed underneath is broken)."""
        # resolved: every spelling of the path (., .., relative, a symlink) is the same store
        # with the same index, and paths cut relative to the root come out whole
        path = Path(root).resolve()
        config = config or read_store_config(path)
        store = cls(path, config, today=today, plugins=plugins, extra_plugins=extra_plugins)
        wrong = store.plugins.settings_problems() if plugins or extra_plugins else []
        if wrong:  # the plugins' settings (their settings_model), held as kehu's own above
            raise RecordError(wrong)
        return store

    def reread_config(self) -> None:
        """kehu.yaml read again, as :meth:`open` reads it, when it changed underneath (a `kehu
        sync` in another terminal pulled a colleague's settings): this store's settings and its
        plugins' (those kehu.yaml enables now, the extra ones kept). A RecordError or StoreError
        when they cannot be read or are wrong: the store keeps the settings it had."""
        config = read_store_config(self.root)
        discover = self.plugins.installed is not None  # (a bare store's host looks for none)
        host = PluginHost(config.plugins, self.plugins.extra, discover=discover, config_path=self.root / CONFIG_FILE)
        wrong = host.settings_problems() if discover or self.plugins.extra else []
        if wrong:
            raise RecordError(wrong)
        self.config, self.plugins = config, host

    @classmethod
    def init(cls, root: str | os.PathLike[str], name: str | None = None) -> Store:
        path = Path(root)
        for above in (path, *path.parents):  # a file where the store or a folder above should be
            if above.exists() and not above.is_dir():
                where = "" if above == path else f"{above} "
                raise StoreError(_("{path}: {where}is a file, not a folder; kehu init makes a store in a new or "
                                   "an empty folder").format(path=path, where=where))
            if above.exists():
                break
        if (path / CONFIG_FILE).exists():
            raise StoreError(_("{path}: already a kehu store").format(path=path))
        _refuse_inside_records(path)
        _refuse_borrowed_git(path)
        # kehu sync commits and shares every file of the store's folder: a store made in a
        # folder of other files (a project, the home folder) would push them to the team
        others = sorted(e for e in os.listdir(path) if e != ".git") if path.is_dir() else []
        if others:
            shown = ", ".join(others[:5]) + (", …" if len(others) > 5 else "")
            raise StoreError(_("{path}: not empty ({names}); kehu sync shares every file of a store's folder, "
                               "so kehu init makes a store in a new or an empty folder (a git repository's "
                               ".git may be there)").format(path=path, names=shown))
        path.mkdir(parents=True, exist_ok=True)
        (path / CUSTOMERS_DIR).mkdir(exist_ok=True)
        (path / CUSTOMERS_DIR / ".gitkeep").touch()
        config_text = (
            "# kehu store settings — see README \"kehu.yaml\"\n"
            f"schema_version: {SCHEMA_VERSION}\n"
            f"name: {_yaml_text(shop_name(name or path.resolve().name))}\n"
            "region: CN          # default country for phone numbers without +country\n"
            "currency: CNY\n"
            "plugins:\n"
            "  disabled: []\n"
        )
        atomic_write(path / CONFIG_FILE, config_text)
        atomic_write(path / ".gitignore", GITIGNORE)
        atomic_write(path / ".gitattributes", GITATTRIBUTES)
        # git init and the first commit are services.git_hooks.init_repo's, above the store: its
        # caller's (kehu init, testing.make_store(git=True))
        return cls.open(path)

    def now(self) -> dt.datetime:
        """The current moment on the store's day (timestamps of messages and changes)."""
        return clock_now(self.today, fixed=self.today_fixed)

    # --- index --------------------------------------------------------------------------

    @property
    def index(self) -> Index:
        """The derived index, brought up to date with the files on first use."""
        if self._index is None:
            from ..index import Index

            # the index lists customers/ itself: a link there would list another folder
            self.refuse_links(self.root / CUSTOMERS_DIR)
            with contextlib.suppress(FileNotFoundError):  # a file named customers: no customer is
                mode = os.lstat(self.root / CUSTOMERS_DIR).st_mode  # "ok: 0 customers"
                if not stat.S_ISDIR(mode):
                    what = "a file" if stat.S_ISREG(mode) else special_file_message(mode).split(",")[0][3:]
                    raise RecordError([Problem(self.root / CUSTOMERS_DIR, 1, f"is {what}, not the folder of "
                                               "customer records; move it away and `git checkout customers`")])

            idx = Index(self)
            idx.refresh()
            self._index = idx
        return self._index

    @property
    def opened_index(self) -> Index | None:
        """The index if something has opened it, without opening (or refreshing) it."""
        return self._index

    def use_index(self, index: Index) -> Index:
        """Work with ``index`` as it is, without the blind freshness check of :attr:`index`
        (``kehu reindex PATH`` re-reads only the paths it names; the TUI's watcher catches up)."""
        self._index = index
        return index


def open_store(path: str | os.PathLike[str], *, today: dt.date | str | None = None,
               extra_plugins: dict[str, Any] | None = None, config: StoreConfig | None = None) -> Store:
    """Open a store with the plugins its kehu.yaml enables: what the CLI and the TUI do.

    ``today`` fixes the store's day (see :mod:`kehu_core.clock`). A sync killed half-way is put
    back first, before anything is read (:meth:`Store.put_back_killed_sync`). ``config``: settings
    already read (see :meth:`Store.open`)."""
    store = Store.open(path, today=today, plugins=True, extra_plugins=extra_plugins, config=config)
    store.put_back_killed_sync()
    return store


def _yaml_text(text: str) -> str:
    """``text`` as a YAML value that reads back as this text: plain when it does (a folder
    named 茶铺), else double-quoted (a folder named ``no``, ``123``, ``a: b`` or with a line
    break, which wrote a kehu.yaml that no command could read)."""
    import json

    import yaml

    try:
        if yaml.safe_load(f"name: {text}\n") == {"name": text}:
            return text
    except yaml.YAMLError:
        pass
    return json.dumps(text, ensure_ascii=False)


def _refuse_inside_records(path: Path) -> None:
    """``kehu init`` inside another store (its ``customers/``, ``.kehu/``, ``.git/`` or any other
    folder of it), or under any repository's ``.git/``: a store there was made with exit 0
    (check then found its kehu.yaml "unexpected", the outer sync would share it as files of its
    own), or half made before git failed "must be run in a work tree"."""
    target = path.resolve()
    for above in target.parents:
        inside = target.relative_to(above).parts[0]
        if inside == ".git":
            raise StoreError(_("{path}: is inside {folder}, git's own folder; kehu init makes a store in a "
                               "folder of its own").format(path=path, folder=above / inside))
        if inside in (CUSTOMERS_DIR, STATE_DIR) and (above / CONFIG_FILE).is_file():
            raise StoreError(_("{path}: is inside {folder} of the store {root}; kehu init makes a store in a "
                               "folder of its own").format(path=path, folder=above / inside, root=above))
        if (above / CONFIG_FILE).is_file():  # its sync commits this one as a submodule (a gitlink)
            raise StoreError(_("{path}: is inside the store {root}, whose kehu sync would share this one as "
                               "files of its own (or, a git repository, as a submodule every other clone "
                               "refuses); kehu init makes a store in a folder of its own").format(
                path=path, root=above))



def _refuse_borrowed_git(path: Path) -> None:
    """``kehu init`` in a folder whose ``.git`` is a file (a worktree's or a submodule's
    ``gitdir:`` line, a folder copied from one) or a link: git followed it, and the new store's
    first commit went into that other repository — another store's, whose HEAD then held this
    one's kehu.yaml, which its next sync pushed to the team. A store has a repository of its own."""
    dot_git = path / ".git"
    if not os.path.lexists(dot_git) or (dot_git.is_dir() and not dot_git.is_symlink()):
        return
    if dot_git.is_symlink():
        where = os.readlink(dot_git)
    else:
        first = ""
        if dot_git.is_file():  # (a FIFO or a device: its name alone, never a read)
            with contextlib.suppress(OSError), open(dot_git, "rb") as handle:
                first = handle.read(4096).decode("utf-8", "replace")
        where = first.removeprefix("gitdir:").strip().splitlines()[0] if first.strip() else str(dot_git)
    raise StoreError(_("{path}: its .git leads to the git repository {where} (a worktree's, a submodule's or a "
                       "link); kehu init would commit the new store there. A store has a repository of its own: "
                       "make it in a new or an empty folder").format(path=path, where=where))
