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
import threading
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import journal, journal_ahead
from ..clock import day_is_fixed, resolve_today
from ..clock import now as clock_now
from ..config import CONFIG_FILE, SCHEMA_VERSION, StoreConfig
from ..config_names import shop_name
from ..errors import KehuError, Problem, RecordError, StoreError
from ..i18n import _
from ..journal import Recorder, record
from ..models import Customer
from ..paths import STATE_DIR
from ..plugins import PluginHost
from ..yamlio import special_file_message
from .batch import _Batch, _WriteLog
from .config_file import read_config
from .layout import CUSTOMERS_DIR, GITATTRIBUTES, GITIGNORE, atomic_write

if TYPE_CHECKING:
    from filelock import FileLock

    from ..index import Index

from .batch import BatchMixin
from .bulk import BulkMixin
from .customer_rules import CustomerRulesMixin
from .customer_writes import CustomerWritesMixin
from .customers import CustomersMixin
from .interactions import InteractionsMixin
from .layout import LayoutMixin
from .ledgers import LedgersMixin

#: the lock files this process holds, each with the thread holding it. Another Store object of
#: the same store asking for the lock in that very thread would wait for itself until its
#: timeout (a plugin's hook running a kehu command in-process: 30 s, then "another kehu process
#: is writing"): it is refused at once instead. Other threads wait, as for another process.
_HELD: dict[str, int] = {}

#: the threads in which a plugin's hook that only reads runs (:meth:`Store.only_reading`), each with
#: the plugin and the hook: no Store object of this process writes from them — the one the hook was
#: given, nor another it opened on the same folder (``Store.open(store.root)``: a ``customer_values``
#: writing through one changed a profile on every `customer show`, and a ``validate_customer`` wrote
#: a ledger on every `kehu check`, each exit 0, for `kehu sync` to share)
_READING: dict[int, tuple[str, str]] = {}


class Store(LayoutMixin, CustomersMixin, CustomerRulesMixin, CustomerWritesMixin, InteractionsMixin, BulkMixin,
            LedgersMixin, BatchMixin):
    """A kehu store on disk. Reads are lock-free; every write is atomic and under the lock."""

    def __init__(self, root: Path, config: StoreConfig, *, config_doc: Any = None,
                 today: dt.date | str | None = None, plugins: bool = False,
                 extra_plugins: dict[str, Any] | None = None):
        self.root = root
        self.config = config
        # the day every service, plugin and report of this store takes as today (kehu_core.clock)
        self.today: dt.date = resolve_today(today, config.today)
        # a set day keeps one time of day (clock.now): its moments never cross real midnight
        self.today_fixed: bool = day_is_fixed(today, config.today)
        self._config_doc = config_doc
        # the store's plugins: those kehu.yaml enables (``plugins=True``, what the CLI and the
        # TUI open) or none at all (a bare store for low-level work), never missing
        self.plugins: PluginHost = PluginHost(
            config.plugins, extra_plugins, discover=plugins, config_path=root / CONFIG_FILE)
        self._batch: _Batch | None = None
        self._index: Index | None = None
        self._write_index: Index | None = None  # see _index_for_writes
        self._lock_owner: int | None = None  # thread holding the lock, and how many times
        self._lock_depth = 0
        self._batch_customers: dict[str, Customer] | None = None  # profiles written in a batch
        self._write_logs: list[_WriteLog] = []  # open undo_on_error blocks, innermost last
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
             plugins: bool = False, extra_plugins: dict[str, Any] | None = None) -> Store:
        # resolved: every spelling of the path (., .., relative, a symlink) is the same store
        # with the same index, and paths cut relative to the root come out whole
        path = Path(root).resolve()
        config_path = path / CONFIG_FILE
        with contextlib.suppress(OSError):  # a FIFO or a folder named kehu.yaml: said, never read
            mode = os.lstat(config_path).st_mode
            if not stat.S_ISREG(mode) and not stat.S_ISLNK(mode):
                raise RecordError([Problem(config_path, 1, special_file_message(mode))])
        if config_path.is_symlink() and not config_path.exists():
            # a link to nowhere (a clone of a colleague's store whose link pointed into his
            # own folders) is named as such, not as a folder that is no store
            raise RecordError([Problem(config_path, 1, _("a link to {target}, which is not there").format(
                target=os.readlink(config_path)))])
        if not config_path.is_file():
            blocking = next((p for p in (path, *path.parents) if p.exists()), None)
            if blocking is not None and not blocking.is_dir():  # `--store notes.txt`, `KEHU_STORE=/dev/null`:
                # "create one with `kehu init notes.txt`" named a command that refuses a file
                raise StoreError(_("{path}: not a kehu store: {file} is no folder, and a store is a folder "
                                   "holding {CONFIG_FILE}").format(path=path, file=blocking, CONFIG_FILE=CONFIG_FILE))
            raise StoreError(
                _("{path}: not a kehu store (no {CONFIG_FILE}); create one with `kehu init {path}`").format(
                    path=path, CONFIG_FILE=CONFIG_FILE)
            )
        config = read_config(config_path)
        store = cls(path, config, today=today, plugins=plugins, extra_plugins=extra_plugins)
        wrong = store.plugins.settings_problems() if plugins or extra_plugins else []
        if wrong:  # the plugins' settings (their settings_model), held as kehu's own above
            raise RecordError(wrong)
        return store

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

    # --- locking ------------------------------------------------------------------------

    def holds_lock(self) -> bool:
        """Whether this thread holds the store's lock (what it read since cannot have changed)."""
        return self._lock_owner == threading.get_ident()

    @contextlib.contextmanager
    def only_reading(self, plugin: str, hook: str) -> Iterator[None]:
        """A block (a plugin's hook that only reads: a rule of ``kehu check``, the values of a
        list) in which this thread may not write to the store, nor to another Store object the
        hook opened itself (:data:`_READING`): every write takes the lock, and asking for it
        here is refused, naming the plugin and the hook. A validation rule
        that wrote a ledger line wrote it on every `kehu check` (and `kehu sync`, which checks)."""
        me = threading.get_ident()
        before = _READING.get(me)
        _READING[me] = (plugin, hook)
        try:
            yield
        finally:
            if before is None:
                del _READING[me]
            else:
                _READING[me] = before

    @contextlib.contextmanager
    def writing_anyway(self) -> Iterator[None]:
        """A write of kehu's own inside an :meth:`only_reading` block (undoing what a failed
        plugin wrote)."""
        reading = _READING.pop(threading.get_ident(), None)
        try:
            yield
        finally:
            if reading is not None:
                _READING[threading.get_ident()] = reading

    @contextlib.contextmanager
    def lock(self, timeout: float = 30.0) -> Iterator[None]:
        """The store-wide write lock; re-entrant within a process."""
        reading = _READING.get(threading.get_ident())
        if reading is not None:
            raise KehuError(_("plugin {plugin} wrote to the store in {hook}, a hook that only reads (kehu check, "
                              "lists and reports call it); nothing was written").format(
                plugin=repr(reading[0]), hook=reading[1]))
        if self._lock_owner == threading.get_ident():
            # Already ours (a batch writes thousands of records under one lock): asking the
            # file lock again costs more than writing a small record.
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        from filelock import Timeout

        lock = self._lock
        if _HELD.get(lock.lock_file) == threading.get_ident():
            raise KehuError(_("{root}: this kehu command is already writing to the store, so a command run from "
                              "inside it (by a plugin) cannot write; nothing was written").format(root=self.root))
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise KehuError(
                _("{root}: another kehu process is writing (lock {lock_file}); try again").format(
                    root=self.root, lock_file=lock.lock_file)
            ) from None
        self._lock_owner, self._lock_depth = threading.get_ident(), 1
        _HELD[lock.lock_file] = self._lock_owner
        # A store opened with ``journal_as`` (the TUI) records each locked operation that is
        # not part of a change already open as one entry of the change journal (kehu undo)
        recorder = None
        try:
            journal.recover_interrupted(self)  # a command killed half-way: its entry, before any other
            self._put_back_killed_sync()
            if self.journal_as is not None and self._recording is None:
                recorder = self._recording = Recorder(self.journal_as, None,
                                                      ahead=journal_ahead.WriteAhead(self, self.journal_as))
            yield
        finally:
            try:
                if recorder is not None:
                    self._recording = None
                    try:
                        if recorder.before:
                            record(self, recorder)  # still under the lock
                    finally:
                        if recorder.ahead is not None:
                            recorder.ahead.close()
            finally:
                self._lock_depth -= 1
                self._lock_owner = None
                _HELD.pop(lock.lock_file, None)
                lock.release()

    def _put_back_killed_sync(self) -> None:
        """A ``kehu sync`` killed half-way (its marker there, the lock free: it is not running):
        the clone as it was before it, said on stderr (:mod:`kehu_core.sync_marker`)."""
        from .. import sync_marker

        if not sync_marker.left(self.state_dir):
            return
        try:
            said = sync_marker.recover(self.root, self.state_dir)
        except sync_marker.PutBackFailed as exc:
            if str(exc) != self._put_back_said:
                raise
            # said as the store opened (put_back_killed_sync): the write is refused, not said twice
            raise KehuError(_("nothing was written: this clone could not be put back after the interrupted "
                              "`kehu sync` (said above)")) from None
        if said is not None:
            import sys

            sys.stderr.write(said + "\n")
            if self._index is not None:
                self._index.refresh(full=True)

    def put_back_killed_sync(self) -> None:
        """For a command that only reads: a killed sync's clone put back first (see
        :meth:`_put_back_killed_sync`) if the store's lock is free now; else left to the next."""
        from .. import sync_marker
        from ..paths import state_dir

        # asked of every command that opens the store: a look, never a folder made for it
        if self.holds_lock() or not sync_marker.left(state_dir(self.root, create=False)):
            return
        try:
            with contextlib.suppress(OSError), self.lock(timeout=0):
                pass
        except sync_marker.PutBackFailed as exc:
            # a command that only reads goes on, over the clone as the sync left it: said, not hidden
            import sys

            self._put_back_said = str(exc)
            sys.stderr.write(f"kehu: {exc}\n")
        except KehuError:
            return  # the lock is taken (a write or a sync runs): the next command puts it back

    @cached_property
    def _lock(self) -> FileLock:
        from filelock import FileLock  # on the first write: a command that only reads never loads it

        return FileLock(str(self.state_dir / "lock"), is_singleton=False)

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
               extra_plugins: dict[str, Any] | None = None) -> Store:
    """Open a store with the plugins its kehu.yaml enables: what the CLI and the TUI do.

    ``today`` fixes the store's day (see :mod:`kehu_core.clock`). A sync killed half-way is put
    back first, before anything is read (:meth:`Store.put_back_killed_sync`)."""
    store = Store.open(path, today=today, plugins=True, extra_plugins=extra_plugins)
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

