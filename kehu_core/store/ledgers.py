"""Plugins' append-only ledgers (points, tiers, reminders): one entry per line."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml
from pydantic import ValidationError

from ..errors import Problem, RecordError
from ..i18n import _
from ..ids import entry_id
from ..models import LedgerEntry
from ..problems import validation_problems
from ..yamlio import (
    YamlFileError,
    dump_flow_line,
    line_end,
    load_entries,
    load_entry_line,
    read_bytes,
    read_text,
)
from ..yamlio.files import LEDGER_SUFFIX, invalid_yaml, marker_line, markers_message, opens_conflict, yaml_error_detail
from ..yamlio.reading import NOT_AN_ENTRY
from .batch import journaled
from .batch_state import PendingLedger
from .layout import check_byte_size
from .ledger_rules import new_line_messages, plugins_ledger_messages

_CONTROL = yaml.reader.Reader.NON_PRINTABLE  # what every YAML reader refuses in a file

if TYPE_CHECKING:
    from . import Store

ENTRY_ID = "id"  # the key of a ledger entry's identity (kehu_core.ids.entry_id)
#: a text YAML writes as it is (perhaps quoted, never escaped): found in a ledger's text if in it
_VERBATIM = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.:-]*")


class LedgersMixin:
    """A part of :class:`kehu_core.store.Store` (see the module docstring)."""

    # --- ledgers ------------------------------------------------------------------------

    def ledger(self, customer_id: str, name: str) -> list[dict[str, Any]]:
        path = self.ledger_file(customer_id, name)
        pending = self._batch.ledgers.get(path) if self._batch is not None else None
        if pending is not None:  # entries appended in this batch are not on disk yet
            if pending.entries is None:
                pending.entries = self._read_ledger(path)
            return [dict(e) for e in (*pending.entries, *pending.added)]
        return self._read_ledger(path)

    def customers_with_ledger_entry(self, name: str, entry_id: str) -> list[str]:
        """The customers whose ledger ``name`` holds an entry of this id (two, where a merge of
        two clones left it in both). The index names the ledgers whose text gives an entry this id
        (``Index.ledger_entry_holders``), and only those are read: asking each ledger read every
        one of a store, and a ``git grep`` of the id's text (what ran before) read every ledger
        git did not track yet. In a batch (its entries not on disk yet) each ledger is asked."""
        if self._batch is None:
            owners = self.index.ledger_entry_holders(name, entry_id)
        else:
            owners = self.index.customers_with_ledger(f"{name}{LEDGER_SUFFIX}")
        return [cid for cid in owners if self.ledger_has(cid, name, id=entry_id)]

    def ledger_has(self, customer_id: str, name: str, **fields: Any) -> bool:
        """Whether an entry of the ledger holds all these values (``reason="purchase",
        ref=purchase.id``: points already given for a purchase). An id that is nowhere in the
        file's text is in no entry, so a long ledger is not read for it (a regular's hundreds of
        lines, read on every sale of theirs)."""
        path = self.ledger_file(customer_id, name)
        pending = self._batch is not None and path in self._batch.ledgers
        ids = [v for v in fields.values() if isinstance(v, str) and _VERBATIM.fullmatch(v)]
        if ids and pending:  # in a batch, the text values of its entries: 50 000 sales of one
            # customer in one import asked every entry for each (4 hours), now a set each
            words = self._pending_words(path)
            if any(v not in words for v in ids):
                return False
        elif ids:
            self.refuse_links(path)
            if not path.exists():
                return False
            try:
                text = read_text(path)
            except YamlFileError as exc:
                raise RecordError([exc.problem]) from None
            if any(v not in text for v in ids):
                return False
        return any(all(key in entry and entry[key] == value for key, value in fields.items())
                   for entry in self.ledger(customer_id, name))

    def _pending_words(self, path: Path) -> set[str]:
        pending = self._batch.ledgers[path]  # type: ignore[union-attr]  # in a batch
        if pending.words is None:
            if pending.entries is None:
                pending.entries = self._read_ledger(path)
            pending.words = {v for e in (*pending.entries, *pending.added) for v in e.values() if isinstance(v, str)}
        return pending.words

    #: the ledger read last, as (path, its bytes, its entries): a command reading one ledger
    #: again (`kehu points redeem`: the lapsed points, the balance, the rules of its line, the
    #: balance after: four reads of 0.45 s at 23 000 entries) parses it once while its bytes
    #: are the same; one ledger, so `kehu check` reading every ledger keeps no more than one
    _last_ledger: tuple[Path, bytes, list[dict[str, Any]]] | None = None

    def _read_ledger(self, path: Path) -> list[dict[str, Any]]:
        self.refuse_links(path)
        if not path.exists():
            return []
        data = _bytes_or_none(path)
        kept = self._last_ledger
        if data is not None and kept is not None and kept[0] == path and kept[1] == data:
            return [dict(e) for e in kept[2]]
        try:
            entries = load_entries(path) or []
        except YamlFileError as exc:
            raise RecordError([_broken_line(path) or exc.problem]) from None
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            shape = Problem(path, 1, "expected a list of entries, one `- {...}` per line")
            raise RecordError([_broken_line(path) or shape])
        good = _validated(path, entries)
        if data is not None and _bytes_or_none(path) == data:  # not changed while it was parsed
            self._last_ledger = (path, data, good)
            return [dict(e) for e in good]
        return good

    @journaled
    def append_ledger(self, customer_id: str, name: str, entry: dict[str, Any]) -> None:
        """Add one entry as one line, so git merges two clones' additions as a union.

        Each entry gets an ``id`` (unless it brings one): equal entries made in two clones
        (the same redemption on the same day) stay two lines, not one, after a merge. Entries
        written before ids existed have none and read as before."""
        path = self.ledger_file(customer_id, name)
        try:  # the rule a reader checks, checked before the line exists
            entry = LedgerEntry.model_validate(entry).as_entry(entry)
        except ValidationError as exc:
            raise RecordError(validation_problems(exc, path)) from None
        brought = entry.get(ENTRY_ID)
        if not brought:
            entry = {ENTRY_ID: entry_id(), **entry}
        line = "- " + dump_flow_line(entry)
        self.refuse_links(path)  # never read (nor copy into the store) a file a link points to
        with self.lock():
            self._refuse_ledger_problems(customer_id, name, path, brought)
            # every line, in a batch (an import) too and whoever writes it: a third party's rule
            # of the points ledger was not asked of kehu's own points lines in an import
            self._refuse_rule_breaking(customer_id, name, path, entry)
            if self._batch is None:
                text = _ledger_text(path, customer_id, name)
                self._write_indexed(path, text + line + line_end(text))  # a CRLF ledger stays CRLF
                return
            # In a batch the lines of one ledger are collected and the file is written once
            # when the batch ends (an import of ten purchases of one customer: one rewrite).
            self._before_pending(path)
            pending = self._batch.ledgers.get(path)
            if pending is None:
                text = _ledger_text(path, customer_id, name)
                pending = self._batch.ledgers[path] = PendingLedger(text, len(text.encode("utf-8")), line_end(text))
            line += pending.end  # the file's as read, which each line added keeps: asked once
            size = pending.size + len(line.encode("utf-8"))
            check_byte_size(path, size)
            added = _read_back(entry, line, path, pending)
            pending.added.append(added)
            if pending.words is not None:
                pending.words.update(v for v in added.values() if isinstance(v, str))
            pending.lines.append(line)
            pending.size = size

    def take_back_ledger_entry(self, customer_id: str, name: str, entry_id: str) -> dict[str, Any] | None:
        """Take the entry whose ``id`` is ``entry_id`` out of the ledger (its line removed, the rest
        as it was): what ``kehu undo`` of the command that wrote it does, for one entry of several
        (one given twice by two clones, which their sync joined). The entry taken out, or None
        when the ledger holds none of that id. ``kehu sync`` keeps an entry taken out so out of
        the merge that follows (``merged_ledgers.drop_entries_taken_back``); ``kehu undo`` puts
        it back. Not in a batch."""
        path = self.ledger_file(customer_id, name)
        self.refuse_links(path)
        with self.lock():
            if self._batch is not None or not self.ledger_has(customer_id, name, id=entry_id):
                return None
            text = _ledger_text(path, customer_id, name)
            lines = text.splitlines(keepends=True)
            for number, line in enumerate(lines, 1):
                entry = ledger_entry(line, path, number)
                if entry is not None and entry.get(ENTRY_ID) == entry_id:
                    self._write_indexed(path, "".join(lines[: number - 1] + lines[number:]))
                    return entry
        return None

    def ledger_rule_messages(self, customer_id: str, name: str,
                             entries: list[dict[str, Any]]) -> list[tuple[int, str]]:
        """What the plugins' ``validate_ledger`` rules find wrong with the ledger ``name`` of a
        customer holding ``entries``: ``(index of the entry at fault, "message (plugin NAME)")``.
        The one place they are asked, by ``kehu check`` and before a line is added
        (:meth:`append_ledger`, of the plugins without ``validate_ledger_line``). kehu's own rule
        of the reminders ledger's lines (a key, an action) is asked here too."""
        from ..reminder_state import LEDGER as REMINDERS
        from ..reminder_state import state_entry_problem

        found: list[tuple[int, str]] = []
        if name == REMINDERS:
            found = [(n, problem) for n, e in enumerate(entries) if (problem := state_entry_problem(e, customer_id))]
        return found + plugins_ledger_messages(cast("Store", self), customer_id, name, entries)

    def _refuse_rule_breaking(self, customer_id: str, name: str, path: Path, entry: dict[str, Any]) -> None:
        """Refuse, under the lock and before it is written, a line that brings a message of the
        ledger rules (:func:`.ledger_rules.new_line_messages`), as a profile that brings one of
        ``validate_customer`` is refused: a plugin's reaction to a sale wrote a redemption of
        100 000 points a customer did not hold with exit 0, and `kehu check` then rejected the
        store, stopping every `kehu sync`."""
        new = new_line_messages(cast("Store", self), customer_id, name, entry)
        if new:
            line = len(_ledger_text(path, customer_id, name).splitlines()) + 1
            raise RecordError([Problem(path, line, _("not written, `kehu check` would reject it: {why}").format(
                why=message)) for message in new])

    def _refuse_ledger_problems(self, customer_id: str, name: str, path: Path, brought: Any) -> None:
        """Refuse, under the lock and before anything is written, a line `kehu check` would reject
        (the plugin API's door held to the reader's rules: a plugin wrote each with exit 0): the
        ledger of a customer with no profile (a folder made anew, holding the ledger alone),
        an ``id`` the ledger already holds (:func:`_twice`'s rule: it would count twice), a
        new ledger named as one beside it in another case (``POINTS`` beside ``points``:
        ``case_twins``, one file on macOS and Windows)."""
        if not self.exists(customer_id):  # a merge or an undo may have deleted it meanwhile
            raise self.no_such_customer(customer_id)
        if brought and self.ledger_has(customer_id, name, id=brought):  # its text first, not every entry
            for first, held in enumerate(self.ledger(customer_id, name)):
                if held.get(ENTRY_ID) == brought:
                    raise RecordError([Problem(path, 1, _(
                        "entry {id} is in this ledger already (entry {first}): a second line of it would count "
                        "twice (each entry's id is its own)").format(id=brought, first=first + 1))])
        pending = self._batch is not None and path in self._batch.ledgers
        if not pending and not path.exists():
            from ..case_twins import case_twin_problems

            rels = [self.rel(p) for p in path.parent.glob("*.ledger.yaml")] if path.parent.is_dir() else []
            twins = [p for p in case_twin_problems(self.root, [*rels, self.rel(path)]) if p.path == path]
            if twins:
                raise RecordError(twins)


def _twice(path: Path, entries: list[dict[str, Any]], first: int, n: int) -> str:
    """Why entry ``n`` has the id of entry ``first``, and the way out. Two spellings of one entry
    (CRLF against LF, other spaces: a commit that rewrote the ledger's lines, merged by git's
    union with one that added to it) or two versions of it (changed in two clones) are each
    something else than a line copied, and were all named "copied"."""
    entry_id = entries[n].get("id")
    if entries[first] != entries[n]:
        return _("entry {id} is here twice with different values (first as entry {first}): changed in two "
                 "clones or by hand, git's union merge keeps both lines, and both would count; keep the right "
                 "one and remove the other").format(id=entry_id, first=first + 1)
    with path.open(encoding="utf-8", newline="") as handle:
        written = [line for line in handle.read().splitlines(keepends=True) if line.startswith("- ")]
    if first < n < len(written) and written[first] != written[n]:
        return _("entry {id} is here twice, written two ways (first as entry {first}; line ends or spaces "
                 "differ): a commit rewrote this ledger's lines and git's union merge kept both spellings, so "
                 "it would count twice; remove one of the two lines").format(id=entry_id, first=first + 1)
    return _("entry {id} is here twice (first as entry {first}): one entry copied would count twice; "
             "remove one").format(id=entry_id, first=first + 1)


def _validated(path: Path, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries with their dates as dates; RecordError naming each entry that is not a
    :class:`~kehu_core.models.LedgerEntry` (a hand edit: a date that is no date, a delta that
    is no whole number) at the line of the entry."""
    out: list[Problem] = []
    good: list[dict[str, Any]] = []
    lines: list[int] | None = None
    seen: dict[str, int] = {}

    def line_of(n: int) -> int:
        nonlocal lines
        if lines is None:  # one entry per line: the n-th `- ` line is the n-th entry
            text = path.read_text(encoding="utf-8").splitlines()
            lines = [i for i, line in enumerate(text, 1) if line.startswith("- ")]
        return lines[n] if n < len(lines) else 1

    for n, entry in enumerate(entries):
        try:
            good.append(LedgerEntry.model_validate(entry).as_entry(entry))
        except ValidationError as exc:
            out += [Problem(path, line_of(n), p.message) for p in validation_problems(exc, path)]
            continue
        # an entry's id is what keeps two equal entries two through a merge; the same id twice
        # is one entry copied (a hand edit, a cherry-pick): counted twice, its points doubled
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(entry_id, str):
            if entry_id in seen:
                out.append(Problem(path, line_of(n), _twice(path, entries, seen[entry_id], n)))
            else:
                seen[entry_id] = n
    if out:
        raise RecordError(out)
    return good


def _read_back(entry: dict[str, Any], line: str, path: Path, pending: PendingLedger) -> dict[str, Any]:
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
            try:
                return cast("dict[str, Any]", ledger_entry(line, path, 0))  # a `- ` line: never None
            except RecordError as exc:  # kehu's own line: its number counted only then
                number = len(pending.head.splitlines()) + len(pending.lines) + 1
                raise RecordError([Problem(path, number, p.message) for p in exc.problems]) from None
    return out


def ledger_entry(line: str, path: Path, number: int) -> dict[str, Any] | None:
    """The entry on line ``number`` of the ledger at ``path``: the one rule of reading a ledger
    line by line (a customer merge moving entries, a sync settling a merge, a line just
    written read back), as a reader of the whole file (:func:`load_entries`) reads it.

    None for a line that holds no entry: a blank one, or a ``#`` comment (the header). Any
    other line is one entry, ``- {...}``, or broken: RecordError naming ``path:number``, as
    ``kehu check`` names it. Broken is a line no YAML loader reads alone (cut short, an entry
    continued on the next line), one that is no mapping, or one that is no ``- `` entry at all
    (indented, a continuation): never passed over as if it held nothing, whose entry a caller
    moving entries would lose."""
    text = line.rstrip("\r\n").removeprefix("\ufeff")  # a byte order mark (an editor's), as every loader reads it
    # blank or a comment to YAML: spaces only before it (a tab or an ideographic space there is
    # refused by the reader of the whole file, so `check` refused what a merge passed over), and
    # no control character in it (the whole file's reader refuses one anywhere)
    if not text.lstrip(" ") or text.lstrip(" ").startswith("#"):
        control = _CONTROL.search(text)
        if control is None:
            return None
        said = _("invalid YAML: character U+{code:04X} is a control character, not text")
        raise RecordError([Problem(path, number, said.format(code=ord(control.group())))])
    if opens_conflict(text):  # the line itself, not the file read again for each broken line
        raise RecordError([Problem(path, number, markers_message())])
    if text.startswith("- "):
        try:  # as the reader of the whole file reads it (yaml-rs where it reads alike)
            loaded = load_entry_line(path, text)
        except YamlFileError as exc:
            raise RecordError([Problem(path, number, exc.problem.message)]) from None
        except (yaml.YAMLError, ValueError, RecursionError) as exc:
            raise RecordError([invalid_yaml(path, number, yaml_error_detail(exc))]) from None
        if isinstance(loaded, list) and len(loaded) == 1 and isinstance(loaded[0], dict):
            return loaded[0]
    raise RecordError([Problem(path, number, _(NOT_AN_ENTRY).format())])  # format(): its braces doubled


def _broken_line(path: Path) -> Problem | None:
    """Where a ledger no reader of the whole file reads is broken: its first line that is no
    entry (:func:`ledger_entry`), at that line, as a customer merge names it; the parser of the
    whole file named the line after an entry cut short, or line 1 for an entry that is no
    mapping. None for a file broken otherwise (git's conflict markers: the reader's message)."""
    try:
        text = read_text(path)
    except YamlFileError:
        return None
    if marker_line(path) is not None:
        return None
    for number, line in enumerate(text.splitlines(), 1):
        try:
            ledger_entry(line, path, number)
        except RecordError as exc:
            return exc.problems[0]
    return None


def _bytes_or_none(path: Path) -> bytes | None:
    """A ledger's bytes, or None where they cannot be read (its reader says why)."""
    try:
        return read_bytes(path)
    except (YamlFileError, OSError):
        return None


def _ledger_text(path: Path, customer_id: str, name: str) -> str:
    """A ledger's current text, ending in a newline, or the header of a new one."""
    if not path.exists():
        return f"# {name} ledger of {customer_id}: append-only, one entry per line\n"
    try:
        old = read_text(path)  # a FIFO or a folder in its place is refused, not waited on
    except YamlFileError as exc:
        raise RecordError([exc.problem]) from None
    return old if not old or old.endswith(("\n", "\r")) else old + line_end(old)
