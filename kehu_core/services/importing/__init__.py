"""``kehu import``: contacts and customer sheets into the store, without duplicates.

Formats are ``Importer`` objects (:mod:`kehu_core.plugins`): a ``name``, ``detect(path, head)``
and ``read(path, store)`` yielding :class:`ImportedContact` (or :class:`RowProblem`). The
built-in ones (vCard, Google CSV, sheets) are listed here; plugins add more through the
``importers`` hook. Plugin formats are asked first, so a plugin can claim a file a built-in
reader would also accept, and a plugin format with a built-in name replaces it.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ...collector import without_cyclic_gc
from ...errors import KehuError
from ...i18n import _
from ...models.hostile import MAX_DEPTH, escaped_text, too_many_digits, too_many_digits_problem
from ...own_copies import plain_copy
from ...plugin_code import error_text, never_awaited, plugin_code, stops_kehu
from ...plugins import ImportedContact, Importer, WrongResult
from ...yamlio.atomic import naming
from .base import EXTRA_KEY, FileProblem, RowProblem, RowWarning
from .encodings import decode_bytes
from .google_csv import GoogleCsvImporter
from .held import Held
from .limits import Refused, check_file_size, refuse_special_file, too_many_rows
from .matching import Merger
from .plan import ImportSummary
from .prepare import staging
from .sheet import SheetImporter
from .spill import Spill
from .vcard import VCardImporter

if TYPE_CHECKING:
    from ...store import Store

__all__ = [
    "EXTRA_KEY", "ImportSummary", "ImportedContact", "RowProblem", "available_importers",
    "builtin_importers", "decode_bytes", "import_files", "pick_importer",
]


def builtin_importers() -> list[Importer]:
    # Order matters for detection: a Google CSV is also a CSV sheet.
    return [VCardImporter(), GoogleCsvImporter(), SheetImporter()]


def available_importers(store: Store) -> list[Importer]:
    found: dict[str, Importer] = {}
    plugin_ones = store.plugins.collect("importers")
    for importer in [*plugin_ones, *builtin_importers()]:
        found.setdefault(importer.name, importer)
    return list(found.values())


def pick_importer(path: Path, fmt: str, importers: list[Importer], store: Store | None = None) -> Importer:
    if fmt != "auto":
        for importer in importers:
            if importer.name == fmt:
                return importer
        names = ", ".join(["auto", *(i.name for i in importers)])
        raise KehuError(_("unknown import format {fmt}; expected one of {names}").format(fmt=repr(fmt), names=names))
    with path.open("rb") as handle:
        head = handle.read(8192)
    for importer in importers:
        if _detects(importer, path, head, store):
            return importer
    raise KehuError(
        _("{path}: cannot tell what kind of file this is; pass --format ({join})").format(
            path=path, join=', '.join(i.name for i in importers))
    )


@contextlib.contextmanager
def _naming(path: Path) -> Iterator[None]:
    """An error of the system reading ``path`` that names no file (a read of /proc/self/mem:
    "Input/output error" alone) names it, as every other message of the import does."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise naming(exc, path) from None


def _is_plugins(importer: Importer) -> bool:
    return not type(importer).__module__.startswith("kehu_core.")


def _detects(importer: Importer, path: Path, head: bytes, store: Store | None) -> bool:
    """Whether ``importer`` claims the file. A plugin's ``detect`` that raised ended every
    ``kehu import`` in "internal error" (plugin importers are asked first, a CSV's too), one
    that called ``sys.exit`` ended kehu with its code and no word, and one answering "yes" (no
    bool) took every file, a CSV's rows left unread with exit 0. Now such an importer is
    reported by its plugin's name and claims nothing; the other importers are asked."""
    if store is None or not _is_plugins(importer):
        return bool(importer.detect(path, head))
    try:
        with store.undo_on_error(), plugin_code(store=store):
            answer = never_awaited(importer.detect(path, head))
            if not isinstance(answer, bool):
                raise WrongResult(_("detect returned {kind}, expected True or False").format(
                    kind=type(answer).__name__))
    except BaseException as exc:
        if stops_kehu(exc):
            raise
        store.plugins.report(_owner(store, importer), f"importers {getattr(importer, 'name', '?')!r} detect", exc)
        return False
    return answer


def _owner(store: Store, importer: Importer) -> str:
    """The plugin that gave ``importer`` (asked only when it failed)."""
    for plugin, importers in store.plugins.call("importers"):
        if any(i is importer or type(i) is type(importer) for i in importers):
            return plugin
    return str(getattr(importer, "name", "?"))


def import_files(
    store: Store, paths: Iterable[Path], *, fmt: str = "auto", dry_run: bool = False,
    on_progress: Callable[[str, int, int | None], None] | None = None, allow_future: bool = False,
) -> ImportSummary:
    """Read every file, plan the merge, then (unless ``dry_run``) write it in one locked batch.
    A row with a purchase dated after today is a problem unless ``allow_future``.

    ``on_progress(phase, advance, total)`` is called as rows are read and records written.
    """
    paths = list(paths)
    importers = available_importers(store)
    for path in paths:  # before any is opened: a FIFO or /dev/zero would hang the import
        refuse_special_file(path)
    chosen = []
    for path in paths:
        with _naming(path):
            chosen.append((path, pick_importer(path, fmt, importers, store)))
    summary = ImportSummary(dry_run=dry_run, files=[str(p) for p in paths])
    # no cyclic garbage collection meanwhile (kehu_core.collector): an import makes millions of
    # small objects that live until it ends (each row's contact, the workers' guesses, the
    # plan), and the collector went through them again and again: half the one process's CPU
    # while a big vCard file's contacts came back from the workers (3.8 -> 1.7 s at 20 000
    # cards); the workers, forked inside, are spared it too
    # the files of new customers a big vCard file's workers guess are staged until written
    # what is read and planned lies in a file meanwhile (.spill): its memory grew with the file
    spill = Spill(store.state_dir)
    summary.spill_to(Spill(store.state_dir))  # its lines are read once the import is done
    with without_cyclic_gc(), contextlib.nullcontext() if dry_run else staging(store), contextlib.closing(spill):
        _import(store, chosen, summary, spill, dry_run=dry_run, on_progress=on_progress, allow_future=allow_future)
    return summary


def _import(
    store: Store, chosen: list[tuple[Path, Importer]], summary: ImportSummary, spill: Spill, *, dry_run: bool,
    on_progress: Callable[[str, int, int | None], None] | None, allow_future: bool,
) -> None:
    contacts = Held(spill)  # in a file: 100 000 cards held as objects took 1.5 GB
    most = store.config.import_limits.rows
    for path, importer in chosen:
        try:  # a file over import_limits: file_mb is not read at all
            check_file_size(path, store.config.import_limits)
        except Refused as exc:
            summary.rows += 1
            summary.problems.append(str(RowProblem(f"{path}:1", str(exc))))
            continue
        read_before, problems_before, rows_before = len(contacts), len(summary.problems), summary.rows
        plugins = _is_plugins(importer)
        try:
            # what a plugin's reader wrote through the store before it failed is taken back
            with _naming(path), store.undo_on_error() if plugins else contextlib.nullcontext(), \
                    plugin_code(store=store):
                for item in importer.read(path, store):
                    if plugins and not isinstance(item, (ImportedContact, RowProblem)):
                        raise WrongResult(_("gave {kind}, not a contact").format(kind=type(item).__name__))
                    if plugins and isinstance(item, ImportedContact):
                        if wrong := _shape_problem(item):
                            raise WrongResult(wrong)
                        item = _own(item)
                    if isinstance(item, RowWarning) and not plugins:  # a column left out: no row
                        said = _("warning: {message}").format(message=item.message)
                        summary.warnings.append(f"{item.source}: {said}")
                        continue
                    if isinstance(item, FileProblem):  # the file is refused whole, the rows above it too
                        contacts.truncate(read_before)
                        del summary.problems[problems_before:]
                        summary.rows = rows_before
                    if summary.rows >= most:  # every row is held until the import is written: stop reading
                        summary.problems.append(str(RowProblem(item.source, too_many_rows(most))))
                        return  # and write nothing: half a sheet imported is no import anyone asked for
                    summary.rows += 1
                    if isinstance(item, RowProblem):
                        summary.problems.append(str(item))
                    else:
                        contacts.append(item, packable=not plugins)
                    if on_progress:
                        on_progress("read", 1, None)
        except BaseException as exc:
            if stops_kehu(exc):
                raise
            if not plugins:
                raise  # kehu's own readers say what is wrong with a file themselves
            # a plugin's importer that raised or gave something else: named, and nothing of the file taken
            contacts.truncate(read_before)
            error = str(exc) if isinstance(exc, WrongResult) else error_text(exc)
            summary.problems.append(str(RowProblem(f"{path}:1", _(
                "the {name} importer (a plugin's) failed: {error}; nothing of this file was imported").format(
                name=repr(importer.name), error=error))))
    # Matching against the store and writing are one step under the store's lock, against
    # what is in the store at that moment: two imports of one sheet at the same time (two
    # reps, two windows) store each customer and purchase once, the second finding the
    # first's. Reading the files above needs no lock.
    with contextlib.nullcontext() if dry_run else store.lock(timeout=IMPORT_LOCK_WAIT):
        # The store's own index: the batch in Merger.finish updates it once, from the records
        # in memory, and plugins asked about new purchases then see them indexed.
        index = store.index
        index.refresh()  # what another process wrote while this one read its files
        merger = Merger(store, index, allow_future=allow_future, spill=spill)
        for contact, packable in contacts.drain():
            merger.add(contact, summary, packable=packable)
        total = [0]

        def started(count: int) -> None:
            total[0] = count
            if on_progress and not dry_run:
                on_progress("write", 0, count)

        progress = (lambda n: on_progress("write", n, total[0])) if on_progress else None
        merger.finish(summary, dry_run=dry_run, progress=progress, on_total=started)


# How long an import waits for another writer (often another import) to finish: an import of
# a big sheet holds the lock for minutes, and the second one should wait rather than fail.
IMPORT_LOCK_WAIT = 600.0


def _storable(value: object, depth: int = 0) -> bool:
    """Whether a record can hold ``value`` under ``import_extra`` as it is (YAML's own kinds):
    a plugin's ``extra`` holding a Python object ended the import in "internal error:
    RepresenterError", the contacts before it on their way to the store."""
    import datetime as dt
    import math
    from decimal import Decimal

    if isinstance(value, (float, Decimal)):
        return value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)  # records hold finite numbers
    if value is None or isinstance(value, (str, int, dt.date)):
        return True
    if depth >= 32:  # deeper than any record holds (models.hostile refuses it at its field)
        return False
    if isinstance(value, list):
        return all(_storable(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _storable(item, depth + 1) for key, item in value.items())
    return False


def _shape_problem(contact: ImportedContact) -> str | None:
    """What is not of its documented type in a contact a plugin's importer gave (its source
    text; fields, extra: a dict by name; purchases: a list of such dicts), or None. Each part
    was taken as it came: a list for ``fields``, a dict for ``purchases`` or a key that is no
    text ended the import in "internal error"."""
    def by_name(value: object) -> bool:
        return isinstance(value, dict) and all(isinstance(key, str) for key in value)

    parts: list[tuple[str, object, bool, str]] = [
        ("source", contact.source, isinstance(contact.source, str), "text"),
        ("fields", contact.fields, by_name(contact.fields), "a dict by name"),
        ("extra", contact.extra, by_name(contact.extra) and all(map(_storable, contact.extra.values())),
         "a dict by name of texts, numbers, dates, and lists and dicts of them"),
        ("purchases", contact.purchases,
         isinstance(contact.purchases, list) and all(by_name(p) for p in contact.purchases),
         "a list of dicts by name"),
        ("places", contact.places, by_name(contact.places) and all(isinstance(v, str) for v in contact.places.values()),
         "a dict of texts by name"),
    ]
    for part, value, fits, expected in parts:
        if not fits:
            return _("gave a contact whose {part} is {value}, not {expected}").format(
                part=part, value=_shown(value), expected=expected)
    for part, value in (("fields", contact.fields), ("extra", contact.extra), ("purchases", contact.purchases)):
        if (where := _huge_number(value)) is not None:  # a record's rule, as `check` and a hand edit have it
            return _("gave a contact with {problem}").format(problem=too_many_digits_problem(
                ".".join(escaped_text(str(step)) for step in (part, *where))))
    return None


def _own(contact: ImportedContact) -> ImportedContact:
    """A plugin's contact as kehu's own copy, held until the import is written: an importer
    filling one dict (or one contact) anew for each row it reads, as a streaming parser does,
    made every row the last — one customer with the last row's sale three times, the others
    lost, "3 rows read, 0 failed". Copied as it is given, inside the importer's guard."""
    return dataclasses.replace(contact, fields=plain_copy(contact.fields), purchases=plain_copy(contact.purchases),
                               extra=plain_copy(contact.extra), places=dict(contact.places))


def _huge_number(value: object) -> tuple[str | int, ...] | None:
    """Where ``value`` (a contact's part, of its documented shape) holds a whole number of more
    digits than a record holds, or None: one of 5 000 digits was refused in Python's words
    ("Exceeds the limit (4300 digits)..."), naming neither the importer nor the field."""
    stack: list[tuple[object, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, loc = stack.pop()
        if type(item) is int and too_many_digits(item):
            return loc
        if len(loc) > MAX_DEPTH:  # deeper (or a dict holding itself) is the models' to refuse at its field
            continue
        if isinstance(item, dict):
            stack.extend((v, (*loc, k)) for k, v in item.items())
        elif isinstance(item, (list, tuple)):
            stack.extend((v, (*loc, i)) for i, v in enumerate(item))
    return None


def _shown(value: object) -> str:
    """``value`` as a message quotes it, cut short: a repr holding a whole number of over
    4 300 digits fails ("Exceeds the limit"), and then its kind is all that is said."""
    try:
        return f"{value!r:.60}"
    except ValueError:
        return _("a {kind}").format(kind=type(value).__name__)
