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
import functools
import hashlib
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from filelock import FileLock, Timeout
from platformdirs import user_cache_dir
from pydantic import ValidationError

from . import yamlio as _yamlio
from .clock import now as clock_now
from .clock import resolve_today
from .config import CONFIG_FILE, SCHEMA_VERSION, StoreConfig
from .errors import ConflictError, KehuError, NotFound, Problem, RecordError, StoreError
from .ids import check_id, new_id, shard
from .journal import Recorder, record
from .models import Customer, Interaction, parse_interaction
from .plugins import PluginHost
from .problems import plugin_problems, validation_problems
from .yamlio import (
    MAX_FILE_BYTES,
    FastLoader,
    YamlFileError,
    deferred_sync,
    dump_flow_line,
    dump_new,
    dump_roundtrip,
    line_of,
    lines_doc,
    load_fast,
    load_roundtrip,
    load_scan,
    to_plain_yaml_value,
)

if TYPE_CHECKING:
    from .index import Index

CUSTOMERS_DIR = "customers"
CUSTOMER_FILE = "customer.yaml"
INTERACTIONS_DIR = "interactions"
LEDGER_SUFFIX = ".ledger.yaml"
STATE_DIR = ".kehu"

# `.*.tmp`: a write killed between temp file and rename leaves one; never commit it
GITIGNORE = ".kehu/\n.*.tmp\n"
GITATTRIBUTES = (
    "# kehu: ledgers are append-only, one entry per line: merge both sides' lines\n"
    f"*{LEDGER_SUFFIX} merge=union\n"
    "# kehu: profiles merge field by field (`kehu git-setup` installs the driver)\n"
    f"{CUSTOMER_FILE} merge=kehu\n"
)

# Field order of a new customer file: identity first, then how to reach them, then the rest.
_FIELD_ORDER = list(Customer.model_fields)


def atomic_write(path: Path, text: str) -> None:
    """Write a record atomically, refusing one too big to be read back (a 10 MB note)."""
    _check_size(path, len(text.encode("utf-8")))
    _yamlio.atomic_write(path, text)


def _check_size(path: Path, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise RecordError([Problem(path, 1, f"the record would be {size} bytes; records are at "
                                            f"most {MAX_FILE_BYTES} (a long text pasted by mistake?)")])


@functools.lru_cache(maxsize=4096)  # an import asks for each customer's folder ~10 times
def _customer_dir(root: Path, customer_id: str) -> Path:
    check_id(customer_id, "customer id")
    return root / CUSTOMERS_DIR / shard(customer_id) / customer_id


def interaction_id(date_text: str) -> str:
    """``2024-05-20-k3x9qa2m``: sorts by date, random below so two clones never collide."""
    return f"{date_text}-{new_id('')[7:]}"


class Store:
    """A kehu store on disk. Reads are lock-free; every write is atomic and under the lock."""

    def __init__(self, root: Path, config: StoreConfig, *, config_doc: Any = None,
                 today: dt.date | str | None = None, plugins: bool = False,
                 extra_plugins: dict[str, Any] | None = None):
        self.root = root
        self.config = config
        # the day every service, plugin and report of this store takes as today (kehu_core.clock)
        self.today: dt.date = resolve_today(today, config.today)
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
        self._recording: Recorder | None = None  # the open change (kehu_core.journal)

    # --- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, root: str | os.PathLike[str], *, today: dt.date | str | None = None,
             plugins: bool = False, extra_plugins: dict[str, Any] | None = None) -> Store:
        # resolved: every spelling of the path (., .., relative, a symlink) is the same store
        # with the same index, and paths cut relative to the root come out whole
        path = Path(root).resolve()
        config_path = path / CONFIG_FILE
        if not config_path.is_file():
            raise StoreError(
                f"{path}: not a kehu store (no {CONFIG_FILE}); create one with `kehu init {path}`"
            )
        try:
            doc = load_fast(config_path) or {}
        except YamlFileError as exc:
            raise RecordError([exc.problem]) from None
        if not isinstance(doc, dict):
            raise RecordError([Problem(config_path, 1, "expected a mapping of settings")])
        try:
            config = StoreConfig.model_validate(doc)
        except ValidationError as exc:
            rt = load_roundtrip(config_path)
            raise RecordError(validation_problems(exc, config_path, rt)) from None
        return cls(path, config, today=today, plugins=plugins, extra_plugins=extra_plugins)

    @classmethod
    def init(cls, root: str | os.PathLike[str], name: str | None = None, *, git: bool = True) -> Store:
        path = Path(root)
        if (path / CONFIG_FILE).exists():
            raise StoreError(f"{path}: already a kehu store")
        path.mkdir(parents=True, exist_ok=True)
        (path / CUSTOMERS_DIR).mkdir(exist_ok=True)
        (path / CUSTOMERS_DIR / ".gitkeep").touch()
        config_text = (
            "# kehu store settings — see README \"kehu.yaml\"\n"
            f"schema_version: {SCHEMA_VERSION}\n"
            f"name: {name or path.resolve().name}\n"
            "region: CN          # default country for phone numbers without +country\n"
            "currency: CNY\n"
            "plugins:\n"
            "  disabled: []\n"
        )
        atomic_write(path / CONFIG_FILE, config_text)
        atomic_write(path / ".gitignore", GITIGNORE)
        atomic_write(path / ".gitattributes", GITATTRIBUTES)
        store = cls.open(path)
        if git:
            from .services import gitops

            gitops.init_repo(path)
        return store

    def now(self) -> dt.datetime:
        """The current moment on the store's day (timestamps of messages and changes)."""
        return clock_now(self.today)

    # --- paths --------------------------------------------------------------------------

    def customer_dir(self, customer_id: str) -> Path:
        return _customer_dir(self.root, customer_id)

    def customer_file(self, customer_id: str) -> Path:
        return self.customer_dir(customer_id) / CUSTOMER_FILE

    def interactions_dir(self, customer_id: str) -> Path:
        return self.customer_dir(customer_id) / INTERACTIONS_DIR

    def ledger_file(self, customer_id: str, name: str) -> Path:
        check_id(name, "ledger name")
        return self.customer_dir(customer_id) / f"{name}{LEDGER_SUFFIX}"

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    @cached_property
    def state_dir(self) -> Path:
        """Where derived data lives: ``.kehu/`` in the store, or a cache folder if read-only."""
        local = self.root / STATE_DIR
        try:
            local.mkdir(exist_ok=True)
            # a probe of its own: on one shared name, two processes opening the store at once
            # could delete each other's, and the loser took the fallback (a lock of its own)
            with tempfile.TemporaryFile(dir=local):
                pass
            return local
        except OSError:
            key = hashlib.sha1(str(self.root.resolve()).encode()).hexdigest()[:16]
            fallback = Path(user_cache_dir("kehu")) / key
            fallback.mkdir(parents=True, exist_ok=True)
            return fallback

    # --- locking ------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, timeout: float = 30.0) -> Iterator[None]:
        """The store-wide write lock; re-entrant within a process."""
        if self._lock_owner == threading.get_ident():
            # Already ours (a batch writes thousands of records under one lock): asking the
            # file lock again costs more than writing a small record.
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        lock = self._lock
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise KehuError(
                f"{self.root}: another kehu process is writing (lock {lock.lock_file}); try again"
            ) from None
        self._lock_owner, self._lock_depth = threading.get_ident(), 1
        try:
            yield
        finally:
            self._lock_depth -= 1
            self._lock_owner = None
            lock.release()

    @cached_property
    def _lock(self) -> FileLock:
        return FileLock(str(self.state_dir / "lock"), is_singleton=False)

    # --- index --------------------------------------------------------------------------

    @property
    def index(self) -> Index:
        """The derived index, brought up to date with the files on first use."""
        if self._index is None:
            from .index import Index

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

    # --- customers ----------------------------------------------------------------------

    @property
    def customer_model(self) -> type[Customer]:
        return self.plugins.customer_model

    def _context(self) -> dict[str, Any]:
        return {"region": self.config.region}

    def exists(self, customer_id: str) -> bool:
        return self.customer_file(customer_id).is_file()

    def iter_customer_ids(self) -> Iterator[str]:
        base = self.root / CUSTOMERS_DIR
        if not base.is_dir():
            return
        for shard_dir in sorted(p for p in base.iterdir() if p.is_dir()):
            for cdir in sorted(shard_dir.iterdir()):
                if (cdir / CUSTOMER_FILE).is_file():
                    yield cdir.name

    def get(self, customer_id: str) -> Customer:
        path = self.customer_file(customer_id)
        if not path.is_file():
            raise NotFound(f"no customer with id {customer_id!r} in {self.root}")
        return self.read_customer_file(path)

    def read_customer_file(self, path: Path) -> Customer:
        """Load and validate one profile; errors carry the file and line of the bad field."""
        try:
            data = load_scan(path)
        except YamlFileError as exc:
            raise RecordError([exc.problem]) from None
        return self.validate_customer_data(path, data)

    def validate_customer_data(self, path: Path, data: Any) -> Customer:
        if not isinstance(data, dict):
            raise RecordError([Problem(path, 1, "expected a mapping of customer fields (id: ..., name: ...)")])
        try:
            customer = self.customer_model.model_validate(data, context=self._context())
        except ValidationError as exc:
            raise RecordError(validation_problems(exc, path, lines_doc(path))) from None
        if path.parent.name != customer.id:
            line = line_of(lines_doc(path), ["id"])
            message = f"id {customer.id!r} does not match its folder {path.parent.name!r}"
            raise RecordError([Problem(path, line, message)])
        return customer

    def new_customer_id(self) -> str:
        while True:
            candidate = new_id("c")
            if not self.exists(candidate):
                return candidate

    def rule_problems(self, path: Path, customer: Customer,
                      doc: Callable[[], Any] = lambda: None) -> list[Problem]:
        """What the plugins' ``validate_customer`` rules find wrong with ``customer`` (whose
        file is ``path``; ``doc()`` its round-trip document, for the line of a field): the one
        place they are asked, by ``kehu check`` and before every write of a profile."""
        if self.plugins is None:
            return []
        out: list[Problem] = []
        for plugin, messages in self.plugins.call("validate_customer", store=self, customer=customer):
            out.extend(plugin_problems(path, plugin, customer, messages, doc))
        return out

    def _refuse_rule_problems(self, path: Path, new: Customer, text: str,
                              old: Customer | None = None) -> None:
        """Refuse a write that would make a plugin's rule fail (``customer set ID wechat=qd``):
        nothing is written. A problem the file already had is left for ``kehu check`` (an
        unrelated change to a customer is not blocked by it)."""
        problems = self.rule_problems(path, new, lambda: _roundtrip_text(text))
        if problems and old is not None:
            before = {p.message for p in self.rule_problems(path, old)}
            problems = [p for p in problems if p.message not in before]
        if problems:
            raise RecordError(problems)

    def add_customer(self, customer: Customer) -> Customer:
        """Write a new profile; refuses an id that is already taken, or a customer a plugin's
        ``validate_customer`` rule finds wrong."""
        customer = self.customer_model.model_validate(customer.model_dump(), context=self._context())
        path = self.customer_file(customer.id)
        with self.lock():
            if path.exists():
                raise KehuError(f"customer {customer.id!r} already exists ({self.rel(path)})")
            text = dump_new(_compact(customer))
            self._refuse_rule_problems(path, customer, text)
            self._write(path, text)
            self._touched(path, customer)
        return customer

    def file_version(self, customer_id: str) -> str:
        """A token that changes whenever the profile file changes (for conflict checks)."""
        return hashlib.sha1(self.customer_file(customer_id).read_bytes()).hexdigest()

    def update_customer(
        self, customer_id: str, changes: dict[str, Any], *, expect_version: str | None = None
    ) -> Customer:
        """Change some fields, keeping comments, key order and unknown fields of the file.

        Only the lines of changed fields change. ``None`` or an empty list removes a field.
        With ``expect_version`` the write is refused if someone changed the file meanwhile.
        """
        path = self.customer_file(customer_id)
        with self.lock():
            if not path.is_file():
                raise NotFound(f"no customer with id {customer_id!r} in {self.root}")
            if expect_version is not None and self.file_version(customer_id) != expect_version:
                raise ConflictError(
                    f"{self.rel(path)} was changed by someone else since you opened it; "
                    "reload it and apply your change again"
                )
            try:
                doc = load_roundtrip(path)
            except YamlFileError as exc:
                raise RecordError([exc.problem]) from None
            old = self.validate_customer_data(path, dict(doc))
            merged = {**dict(doc), **changes}
            merged = {k: v for k, v in merged.items() if v not in (None, [], "")}
            try:
                new = self.customer_model.model_validate(merged, context=self._context())
            except ValidationError as exc:
                raise RecordError(validation_problems(exc, path, doc)) from None
            if new.id != customer_id:
                raise KehuError("the id of a customer cannot be changed")
            old_values, new_values = _compact(old), _compact(new)
            for key, value in new_values.items():
                if key not in doc:
                    doc.insert(_position(doc, key), key, to_plain_yaml_value(value))
                elif old_values.get(key) != value:
                    doc[key] = to_plain_yaml_value(value)
            for key in list(doc):
                if changes.get(key, 0) in (None, [], ""):
                    del doc[key]
                elif key in changes and key not in new_values:
                    # set to a default a new file leaves out (do_not_contact=false): the line
                    # shows the new value rather than keeping the old one
                    doc[key] = to_plain_yaml_value(getattr(new, key, changes[key]))
            original = path.read_text(encoding="utf-8")
            text = dump_roundtrip(doc, like=original)
            if text != original:
                self._refuse_rule_problems(path, new, text, old)
                self._write(path, text)
                self._touched(path, new)
        return new

    # --- interactions -------------------------------------------------------------------

    def interactions(self, customer_id: str) -> list[Interaction]:
        folder = self.interactions_dir(customer_id)
        if not folder.is_dir():
            return []
        found = [self.read_interaction_file(p) for p in sorted(folder.glob("*.yaml"))]
        return sorted(found, key=lambda i: (i.date, i.id))

    def read_interaction_file(self, path: Path) -> Interaction:
        try:
            data = load_scan(path)
        except YamlFileError as exc:
            raise RecordError([exc.problem]) from None
        if not isinstance(data, dict):
            raise RecordError([Problem(path, 1, "expected a mapping of interaction fields (kind: ..., date: ...)")])
        stem = path.stem
        data.setdefault("id", stem)
        try:
            interaction = parse_interaction(data)
        except ValidationError as exc:
            raise RecordError(validation_problems(exc, path, lines_doc(path))) from None
        if interaction.id != stem:
            raise RecordError([Problem(path, 1, f"id {interaction.id!r} does not match the file name {stem!r}")])
        return interaction

    def check_not_future(self, day: dt.date, what: str = "date", *, allow_future: bool = False) -> None:
        """The one rule on the dates people give kehu (a purchase, a visit, a payment, an
        import's rows): nothing dated after the store's day (``store.today``), which is
        nearly always a typo (next year for this year) that would earn points and sit in every
        report, unless ``allow_future``. Raises KehuError saying so."""
        if not allow_future and day > self.today:
            raise KehuError(f"{what} {day.isoformat()} is after today ({self.today.isoformat()}); "
                            "a future date is refused unless --allow-future")

    def add_interaction(self, customer_id: str, data: dict[str, Any], *,
                        allow_future: bool = False) -> Interaction:
        """Record a purchase, visit, call ... and tell the plugins (points, tiers ...).
        A date after ``today`` is refused unless ``allow_future`` (:meth:`check_not_future`)."""
        if not self.exists(customer_id):
            raise NotFound(f"no customer with id {customer_id!r} in {self.root}")
        data = dict(data)
        date_text = str(data.get("date", ""))
        data.setdefault("id", interaction_id(date_text[:10] if date_text else "undated"))
        try:
            interaction = parse_interaction(data)
        except ValidationError as exc:
            raise RecordError(validation_problems(exc, self.interactions_dir(customer_id) / "(new)")) from None
        self.check_not_future(interaction.date, f"{interaction.kind} date", allow_future=allow_future)
        path = self.interactions_dir(customer_id) / f"{interaction.id}.yaml"
        with self.lock():
            if path.exists():
                raise KehuError(f"interaction {interaction.id!r} already exists")
            payload = interaction.model_dump(mode="python", exclude_none=True)
            payload = {"kind": payload.pop("kind"), **payload}
            payload.pop("id")  # the file name is the id
            payload = {k: v for k, v in payload.items() if v not in ([], None)}
            self._write(path, dump_new(payload))
            self._touched(path, interaction)
        if self._batch is not None:
            self._batch.saved.append((customer_id, interaction))
        elif self.plugins.names():
            self.plugins.interaction_saved(self, self.get(customer_id), interaction)
        return interaction

    def interaction_file(self, customer_id: str, interaction_id: str) -> Path:
        check_id(interaction_id, "interaction id")
        return self.interactions_dir(customer_id) / f"{interaction_id}.yaml"

    def get_interaction(self, customer_id: str, interaction_id: str) -> Interaction:
        path = self.interaction_file(customer_id, interaction_id)
        if not path.is_file():
            if not self.exists(customer_id):
                raise NotFound(f"no customer with id {customer_id!r} in {self.root}")
            raise NotFound(f"customer {customer_id} has no record {interaction_id!r}")
        return self.read_interaction_file(path)

    def update_interaction(
        self, customer_id: str, interaction_id: str, changes: dict[str, Any],
        *, append: dict[str, list[Any]] | None = None,
    ) -> Interaction:
        """Change fields of one interaction file (a complaint's state, a purchase's payments),
        keeping its comments and the lines of other fields; ``append`` adds items to the end
        of each named list field (created if missing), a mapping as one line (``- {a: 1}``),
        so two clones' additions touch different lines. The result is validated before
        anything is written: an invalid change leaves the file as it was."""
        path = self.interaction_file(customer_id, interaction_id)
        with self.lock():
            self.get_interaction(customer_id, interaction_id)  # NotFound, or invalid as it is
            try:
                doc = load_roundtrip(path)
            except YamlFileError as exc:
                raise RecordError([exc.problem]) from None
            for key, value in changes.items():
                if value is None:
                    doc.pop(key, None)
                elif doc.get(key) != value:
                    doc[key] = to_plain_yaml_value(value)
            for key, items in (append or {}).items():
                if key not in doc or doc[key] is None:
                    doc[key] = to_plain_yaml_value([])
                for item in items:
                    value = to_plain_yaml_value(item)
                    if isinstance(item, dict):
                        value.fa.set_flow_style()
                    doc[key].append(value)
            original = path.read_text(encoding="utf-8")
            text = dump_roundtrip(doc, like=original)
            data = yaml.load(text, Loader=FastLoader)  # noqa: S506 - a safe loader
            data.setdefault("id", interaction_id)
            try:
                interaction = parse_interaction(data)
            except ValidationError as exc:
                raise RecordError(validation_problems(exc, path, doc)) from None
            if text != original:
                self._write(path, text)
                self._touched(path, interaction)
        return interaction

    # --- ledgers ------------------------------------------------------------------------

    def ledger(self, customer_id: str, name: str) -> list[dict[str, Any]]:
        path = self.ledger_file(customer_id, name)
        pending = self._batch.ledgers.get(path) if self._batch is not None else None
        if pending is not None:  # entries appended in this batch are not on disk yet
            if pending.entries is None:
                pending.entries = self._read_ledger(path)
            return [dict(e) for e in (*pending.entries, *pending.added)]
        return self._read_ledger(path)

    def _read_ledger(self, path: Path) -> list[dict[str, Any]]:
        if not path.is_file():
            return []
        try:
            entries = load_fast(path) or []
        except YamlFileError as exc:
            raise RecordError([exc.problem]) from None
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise RecordError([Problem(path, 1, "expected a list of entries, one `- {...}` per line")])
        return entries

    def append_ledger(self, customer_id: str, name: str, entry: dict[str, Any]) -> None:
        """Add one entry as one line, so git merges two clones' additions as a union."""
        path = self.ledger_file(customer_id, name)
        line = "- " + dump_flow_line(entry) + "\n"
        with self.lock():
            if self._batch is None:
                self._write(path, _ledger_text(path, customer_id, name) + line)
                self._touched(path)
                return
            # In a batch the lines of one ledger are collected and the file is written once
            # when the batch ends (an import of ten purchases of one customer: one rewrite).
            self._before_pending(path)
            pending = self._batch.ledgers.get(path)
            if pending is None:
                text = _ledger_text(path, customer_id, name)
                pending = self._batch.ledgers[path] = _PendingLedger(text, len(text.encode("utf-8")))
            size = pending.size + len(line.encode("utf-8"))
            _check_size(path, size)
            pending.added.append(_read_back(entry, line))
            pending.text += line
            pending.size = size

    # --- the change journal (kehu undo) ---------------------------------------------------

    @contextlib.contextmanager
    def change(self, command: str, who: str | None = None) -> Iterator[Recorder]:
        """Every write inside the block is one entry of the change journal (kehu_core.journal):
        ``command`` (what the person ran) by ``who`` (default: git's author name, else the
        login) at ``store.now()``. Nested blocks are part of the outer one. Nothing is recorded
        when no file changed."""
        if self._recording is not None:
            yield self._recording
            return
        recorder = self._recording = Recorder(command, who)
        try:
            yield recorder
        finally:
            self._recording = None
            if recorder.before:
                with self.lock():
                    record(self, recorder)

    @property
    def recording(self) -> Recorder | None:
        """The open :meth:`change`, if any."""
        return self._recording

    def note_change(self, path: Path) -> None:
        """Say that ``path`` is about to be written or removed by code writing it itself (not
        through the store's methods), so the change journal keeps what it held."""
        if self._recording is not None:
            self._recording.note(path)

    def restore_files(self, files: dict[Path, bytes | None]) -> None:
        """Put each file back to the given bytes (None: remove it, and its folders left
        empty), as one change noted in the journal, and reindex them."""
        with self.lock():
            for path, content in files.items():
                if content is None:
                    self.note_change(path)
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                    _remove_empty_folders(path.parent, self.root / CUSTOMERS_DIR)
                else:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    self._write(path, content.decode("utf-8"))
                if path.name == CUSTOMER_FILE and self._batch_customers is not None:
                    self._batch_customers.pop(path.parent.name, None)
                self._touched(path)

    # --- undoing a failed plugin's writes -------------------------------------------------

    @contextlib.contextmanager
    def undo_on_error(self) -> Iterator[None]:
        """Writes made inside the block are undone if it raises: each record it wrote is put
        back as it was (one it created is removed), and in a batch the ledger lines and saved
        interactions it added are dropped. The plugin host runs every plugin hook in one, so a
        plugin that fails leaves nothing written on its behalf (see kehu_core/hookspecs.py).

        Only writes through the store are undone (a plugin writes nowhere else in the store)."""
        log = _WriteLog(self._batch, len(self._batch.saved) if self._batch is not None else 0)
        self._write_logs.append(log)
        try:
            yield
        except BaseException:
            self._write_logs.remove(log)
            self._undo(log)
            raise
        self._write_logs.remove(log)

    def _write(self, path: Path, text: str) -> None:
        """Write one record file atomically, noting first what it held (for undo_on_error
        and the change journal)."""
        if self._recording is not None:
            self._recording.note(path)
        for log in self._write_logs:
            if path not in log.files:
                try:
                    log.files[path] = path.read_bytes()
                except FileNotFoundError:
                    log.files[path] = None
        atomic_write(path, text)

    def _before_pending(self, path: Path) -> None:
        """Note a batch's pending ledger as it is before a line is added (for undo_on_error)."""
        for log in self._write_logs:
            if log.batch is self._batch and self._batch is not None and path not in log.pending:
                pending = self._batch.ledgers.get(path)
                log.pending[path] = None if pending is None else (pending.text, pending.size, len(pending.added))

    def _undo(self, log: _WriteLog) -> None:
        with self.lock():
            batch = log.batch if log.batch is self._batch else None
            if batch is not None:
                del batch.saved[log.saved:]
                for path, before in log.pending.items():
                    pending = batch.ledgers.get(path)
                    if before is None or pending is None:
                        batch.ledgers.pop(path, None)
                    else:
                        pending.text, pending.size = before[0], before[1]
                        del pending.added[before[2]:]
                        pending.entries = None
            for path, content in log.files.items():
                if content is None:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                    _remove_empty_folders(path.parent, self.root / CUSTOMERS_DIR)
                else:
                    _yamlio.atomic_write(path, content.decode("utf-8"))
                if path.name == CUSTOMER_FILE and self._batch_customers is not None:
                    self._batch_customers.pop(path.parent.name, None)
                self._touched(path)

    # --- bookkeeping --------------------------------------------------------------------

    def _touched(self, path: Path, record: Customer | Interaction | None = None) -> None:
        """Keep an already-open index in step with our own writes. ``record`` is what was
        just written, validated, so the index need not read the file back."""
        if self._batch is not None:
            self._batch.paths.pop(path, None)
            self._batch.paths[path] = record
            if isinstance(record, Customer) and self._batch_customers is not None:
                self._batch_customers[record.id] = record
            return
        idx = self._index_for_writes()
        if idx is not None:  # one file: read it back, exactly as any other process would
            idx.refresh_paths([path])

    def _index_for_writes(self) -> Index | None:
        """The index our own writes go into: the open one, else the store's existing index
        opened without its blind check. Kehu's own writes are then known to the index at once
        (the TUI, which trusts a filled index and lets its watcher catch up, sees them), and a
        command that never reads the index pays one open, not a scan. A missing or empty
        index is left alone: its first reader builds it from the files."""
        if self._index is not None:
            return self._index
        if self._write_index is None:
            from .index import Index
            from .index.connection import INDEX_FILE

            if not (self.state_dir / INDEX_FILE).is_file():
                return None
            idx = Index(self)
            if idx.count() == 0:
                idx.close()
                return None
            self._write_index = idx
        return self._write_index

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Many writes as one: one lock, one flush to disk, one index update, and the plugins
        told about new interactions once all of them are written and indexed (an import of
        10 000 rows would otherwise re-rank every customer after each purchase).

        Each file is still written atomically; see :func:`yamlio.deferred_sync` for what a
        power cut during a batch can lose.
        """
        if self._batch is not None:
            yield
            return
        with self.lock(), deferred_sync():
            self._batch_customers = {}
            try:
                batch = self._start_batch()
                try:
                    yield
                finally:
                    self._end_batch(batch)
                # Plugins hear about new interactions once everything is indexed; what they write
                # (points, tier moves) is batched the same way, so the index changes once more.
                customers = self._batch_customers
                while batch.saved:
                    saved, batch = batch.saved, self._start_batch()
                    try:
                        for customer_id, interaction in saved:
                            # each profile read once (or not at all: the batch just wrote it)
                            customer = customers.get(customer_id)
                            if customer is None:
                                customer = customers[customer_id] = self.get(customer_id)
                            self.plugins.interaction_saved(self, customer.model_copy(), interaction)
                    finally:
                        self._end_batch(batch)
            finally:
                self._batch_customers = None

    def _start_batch(self) -> _Batch:
        self._batch = _Batch()
        return self._batch

    def _end_batch(self, batch: _Batch) -> None:
        self._batch = None
        try:
            for path, pending in batch.ledgers.items():
                self._write(path, pending.text)
                batch.paths[path] = None
        finally:  # what was written is indexed, even if a ledger could not be
            idx = self._index_for_writes()
            if idx is not None and batch.paths:
                idx.refresh_paths(list(batch.paths), batch.paths)

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        from .services import gitops

        return gitops.run(self.root, *args, check=check)


@dataclass
class _PendingLedger:
    text: str  # the whole file as it will be written
    size: int  # its length in bytes
    entries: list[dict[str, Any]] | None = None  # the entries on disk, read when first asked
    added: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Batch:
    paths: dict[Path, Customer | Interaction | None] = field(default_factory=dict)  # → record
    saved: list[tuple[str, Interaction]] = field(default_factory=list)
    ledgers: dict[Path, _PendingLedger] = field(default_factory=dict)


@dataclass(eq=False)  # told apart by identity: two may hold the same
class _WriteLog:
    """What one ``undo_on_error`` block needs to put the store back."""

    batch: _Batch | None  # the batch open when the block began
    saved: int  # how many saved interactions that batch had
    files: dict[Path, bytes | None] = field(default_factory=dict)  # before the block; None: absent
    pending: dict[Path, tuple[str, int, int] | None] = field(default_factory=dict)  # (text, size, lines)


def _remove_empty_folders(folder: Path, stop: Path) -> None:
    """Remove ``folder`` and its parents up to (not including) ``stop`` while they are empty."""
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _read_back(entry: dict[str, Any], line: str) -> dict[str, Any]:
    """The entry as a reader of its ledger line gets it. Text, whole numbers and dates come
    back as they went in and a Decimal as an int or a float (how dump_flow_line writes it), so
    only other values cost a parse of the line."""
    out: dict[str, Any] = {}
    for key, value in entry.items():
        if isinstance(value, (str, int)) or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
            out[key] = value
        elif isinstance(value, Decimal) and value.is_finite():
            out[key] = int(value) if value.as_tuple().exponent >= 0 else float(format(value, "f"))
        else:
            return yaml.load(line, Loader=FastLoader)[0]  # noqa: S506 - a safe loader
    return out


def _ledger_text(path: Path, customer_id: str, name: str) -> str:
    """A ledger's current text, ending in a newline, or the header of a new one."""
    if not path.is_file():
        return f"# {name} ledger of {customer_id}: append-only, one entry per line\n"
    old = path.read_text(encoding="utf-8")
    return old if not old or old.endswith("\n") else old + "\n"


def _position(doc: Any, key: str) -> int:
    """Where a new field goes: after the last present field that comes before it canonically."""
    if key not in _FIELD_ORDER:
        return len(doc)
    rank = _FIELD_ORDER.index(key)
    keys = list(doc)
    pos = 0
    for i, existing in enumerate(keys):
        if existing in _FIELD_ORDER and _FIELD_ORDER.index(existing) < rank:
            pos = i + 1
    return pos


def _roundtrip_text(text: str) -> Any:
    """The round-trip document of a text about to be written, for the lines of its fields."""
    try:
        return _yamlio.roundtrip_yaml().load(text)
    except Exception:  # only for line numbers: line 1 will do
        return None


def _compact(customer: Customer) -> dict[str, Any]:
    """The fields worth writing: set, non-empty, non-default, in a stable order."""
    data = customer.model_dump(mode="python")
    out: dict[str, Any] = {}
    for key in [*_FIELD_ORDER, *[k for k in data if k not in _FIELD_ORDER]]:
        value = data.get(key)
        if value in (None, [], "") or (key == "do_not_contact" and value is False):
            continue
        out[key] = value
    return out


def open_store(path: str | os.PathLike[str], *, today: dt.date | str | None = None,
               extra_plugins: dict[str, Any] | None = None) -> Store:
    """Open a store with the plugins its kehu.yaml enables: what the CLI and the TUI do.

    ``today`` fixes the store's day (see :mod:`kehu_core.clock`)."""
    return Store.open(path, today=today, plugins=True, extra_plugins=extra_plugins)
