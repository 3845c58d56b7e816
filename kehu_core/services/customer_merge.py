"""Merging two records of one customer: ``kehu customer merge KEEP OTHER`` and the TUI's merge.
Which records are the same customer is the rule in :mod:`kehu_core.services.dedupe`.

A merge puts everything of OTHER
into KEEP and removes OTHER, as one change under the store lock: a failure half-way puts every
file back; in a git store the result is one commit.

* profile: lists (phones, emails, tags, addresses, interests ...) are unioned; a field only
  OTHER has is taken; where both have a value KEEP's stays and OTHER's differing value is kept
  in KEEP's ``also_known`` list, one entry per merge: ``{id: OTHER, merged: DATE, name: ...}``
  (``notes`` are joined instead; ``do_not_contact`` stays true if either says so);
* interactions: OTHER's files move into KEEP's folder (the same purchase recorded on both, the
  same file name and content, is kept once, as is one row of one sheet imported onto both under
  two names; a different record under a taken name gets a new name, and ledger entries that
  named it follow);
* ledgers (points, tiers, reminders ...): OTHER's entries are appended to KEEP's ledger of the
  same name, so a points balance is the sum of both;
* every other place naming OTHER (a referrer, a visit plan, a ledger entry's ``ref``, a reminder's
  key, a saved segment's ids) now names KEEP: the list is :mod:`kehu_core.services.customer_refs`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import KehuError, Problem, RecordError
from ..i18n import N_, _
from ..ids import check_id
from ..labels import field_label, ledger_label
from ..models import Customer
from ..store import (
    CUSTOMER_FILE,
    INTERACTIONS_DIR,
    LEDGER_SUFFIX,
    interaction_id,
)
from ..store.ledgers import ENTRY_ID, ledger_entry
from ..yamlio import dump_flow_line
from . import customer_refs, gitops, merge_confidential, profile_merge
from .dedupe import ALSO_KNOWN, imported_row
from .file_changes import FileChanges, files_below
from .profile_merge import named_once, same_merge

if TYPE_CHECKING:
    from ..store import Store


@dataclass
class MergeReport:
    keep: str
    other: str
    keep_name: str
    other_name: str
    fields: list[str] = field(default_factory=list)  # profile fields of KEEP that changed
    also_known: dict[str, Any] = field(default_factory=dict)  # OTHER's differing values kept
    interactions: int = 0  # files moved into KEEP's folder
    same_records: list[str] = field(default_factory=list)  # recorded on both: kept once
    # held by both, edited apart (customers merged each into the other): one record, joined
    joined: list[str] = field(default_factory=list)
    to_decide: list[str] = field(default_factory=list)  # joined, with fields set two ways
    renamed: dict[str, str] = field(default_factory=dict)  # OTHER's record id → its new id
    ledger_entries: dict[str, int] = field(default_factory=dict)  # ledger → entries appended
    referrals: list[str] = field(default_factory=list)  # customers now referred by KEEP
    #: OTHER's confidential fields → how they reached KEEP (services/merge_confidential.py)
    confidential: dict[str, str] = field(default_factory=dict)
    commit: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}

    def summary(self, translate: Callable[[str], str] = _) -> str:
        """What the merge did, in the user's language; ``translate=str``: in the one form the
        commit message keeps (English, field names as the files write them), whoever merged."""
        said = translate is not str
        label = field_label if said else str
        comma = translate(", ")
        parts = [translate(N_("merged {other_name} ({other}) into {keep_name} ({keep})")).format(
                     other_name=self.other_name, other=self.other, keep_name=self.keep_name, keep=self.keep),
                 translate(N_("{count} records moved")).format(count=self.interactions)]
        if self.same_records:
            parts.append(translate(N_("{count} recorded on both kept once")).format(count=len(self.same_records)))
        if self.joined:
            parts.append(translate(N_("{count} held by both and edited apart joined into one")).format(
                count=len(self.joined)))
        if self.to_decide:
            parts.append(translate(N_("{count} of them with a field set two ways: `kehu check` shows "
                                      "where")).format(count=len(self.to_decide)))
        for name, n in self.ledger_entries.items():
            parts.append(translate(N_("{count} {name} ledger entries")).format(
                count=n, name=ledger_label(name) if said else name))
        if self.fields:
            parts.append(translate(N_("profile: {fields}")).format(fields=comma.join(map(label, self.fields))))
        if self.also_known:
            parts.append(translate(N_("kept in also_known: {fields}")).format(
                fields=comma.join(map(label, self.also_known))))
        if self.confidential:
            parts.append(translate(N_("confidential: {fields}")).format(fields=comma.join(
                f"{label(name)} ({translate(how).replace('KEEP', self.keep).replace('OTHER', self.other)})"
                for name, how in self.confidential.items())))
        if self.referrals:
            parts.append(translate(N_("{count} referrals now point at {keep}")).format(
                count=len(self.referrals), keep=self.keep))
        return translate(N_("; ")).join(parts)


def _profile(customer: Customer) -> dict[str, Any]:
    data = customer.model_dump(mode="python")
    return {k: v for k, v in data.items()
            if v not in (None, "", [], {}) and not (k == "do_not_contact" and v is False)}


def _same_item(key: str, value: Any) -> Any:
    if key == "emails" and isinstance(value, str):
        return value.lower()
    return repr(value) if isinstance(value, (dict, list)) else value


def merged_profile(keep: Customer, other: Customer, today: dt.date, skip: Sequence[str] = ()
                   ) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    """(changes to KEEP's profile, the fields that change, OTHER's differing values kept: none
    when OTHER was merged in before, no entry written). ``skip``: fields merged elsewhere (the
    confidential ones: never kept in plain here)."""
    mine, theirs = _profile(keep), _profile(other)
    for name in skip:
        mine.pop(name, None)
        theirs.pop(name, None)
    changes: dict[str, Any] = {}
    differing: dict[str, Any] = {}
    for key, value in theirs.items():
        if key in ("id", ALSO_KNOWN):
            continue
        current = mine.get(key)
        if key == "referrer" and (value == keep.id or current == other.id):
            continue  # handled below: nobody refers themselves
        if isinstance(value, list) and (current is None or isinstance(current, list)):
            union = list(current or [])
            seen = {_same_item(key, v) for v in union}
            for item in value:
                if _same_item(key, item) not in seen:
                    union.append(item)
                    seen.add(_same_item(key, item))
            if union != list(current or []):
                changes[key] = union
        elif current is None:
            changes[key] = value
        elif current == value:
            continue
        elif key == "notes":
            if str(value) not in str(current):
                changes[key] = f"{current}\n{value}"
        elif isinstance(current, dict) and isinstance(value, dict):
            merged = {**value, **current}
            for sub, sub_value in value.items():
                if sub in current and current[sub] != sub_value:
                    differing[f"{key}.{sub}"] = sub_value
            if merged != current:
                changes[key] = merged
        else:
            differing[key] = value
    if keep.referrer == other.id:  # KEEP was referred by OTHER: by whoever referred OTHER
        changes["referrer"] = other.referrer if other.referrer not in (None, keep.id) else None
    fields = list(changes)
    # every merge names who it was, OTHER's name differing from KEEP's or not
    named = {"name": other.name} if other.name and "name" not in skip else {}
    entry: dict[str, Any] = {"id": other.id, "merged": today, **named, **differing}
    # one customer merged into both (in two clones): named once, as it was first
    known = named_once([*(mine.get(ALSO_KNOWN) or []), *(theirs.get(ALSO_KNOWN) or [])])
    # merged in before (the other clone's merge, followed by records added here since): once;
    # another customer under that id since (its name another), merged again: an entry of its own
    again = any(isinstance(e, dict) and e.get("id") == other.id and same_merge(e, entry) for e in known)
    also = known if again else [*known, entry]
    changes[ALSO_KNOWN] = also
    # merged in again, no entry is written: none of its values is kept there (sync_settled_files.not_carried
    # names a value changed since); the report said "kept in also_known" of values dropped
    return changes, fields, {} if again else differing


def merge_customers(store: Store, keep_id: str, other_id: str, settled: Collection[str] = ()) -> MergeReport:
    """Merge OTHER into KEEP, losing nothing (see the module's docstring), as one change.
    ``settled``: OTHER's confidential fields an earlier merge of the two decided
    (:func:`.merge_confidential.merge_fields`)."""
    check_id(keep_id, "customer id")
    check_id(other_id, "customer id")
    if keep_id == other_id:
        raise KehuError(_("cannot merge {keep_id} into itself").format(keep_id=keep_id))
    with store.lock():
        commits = gitops.has_repo(store.root)
        if commits and (why := gitops.commit_problem(store.root)):
            raise KehuError(_("a customer merge commits what it changes, and no commit can land here now: "
                              "{why}; nothing was changed").format(why=why))
        keep, other = store.get(keep_id), store.get(other_id)  # NotFound, or invalid: path:line
        keep_records = store.interactions(keep_id)
        other_records = store.interactions(other_id)  # every one valid before anything moves
        secret = merge_confidential.merge_fields(store, keep, other, settled)  # refused before any change
        changes = FileChanges(store)
        report = MergeReport(keep_id, other_id, keep.name, other.name)
        try:
            touched = _merge(store, keep, other, other_records, changes, report, secret,
                             imported=_imported_rows(keep_records))
            idx = store.opened_index
            if idx is not None:
                idx.refresh_paths(touched)
            if commits:
                message = (f"kehu customer merge: {other.name} ({other_id}) into {keep.name} ({keep_id})\n\n"
                           + report.summary(str).replace("; ", "\n") + "\n")
                report.commit = changes.commit(
                    message, [store.customer_dir(keep_id), store.customer_dir(other_id), *touched])
        except BaseException:
            changes.take_back()
            raise
        changes.done()
    return report


def _merge(store: Store, keep: Customer, other: Customer, other_records: list[Any],
           changes: FileChanges, report: MergeReport,
           secret: merge_confidential.ConfidentialMerge, imported: Collection[Any] = ()) -> list[Path]:
    keep_dir, other_dir = store.customer_dir(keep.id), store.customer_dir(other.id)
    other_files, other_folders = files_below(other_dir)
    # 1. OTHER's records: which move, which are the same record twice, which need a new name
    by_id = {r.id: r for r in other_records}
    moves: list[tuple[Path, Path]] = []
    joins: list[tuple[Path, str]] = []
    for record in other_records:
        source = store.interaction_file(other.id, record.id)
        target = store.interaction_file(keep.id, record.id)
        if not target.exists() and imported_row(record) in imported:
            report.same_records.append(record.id)  # one row of one sheet, imported in two clones
            continue
        if target.exists():
            kept = store.read_interaction_file(target)
            if kept == record:
                report.same_records.append(record.id)
                continue
            if one_record(kept, record):  # copies of one record, edited apart: joined
                joined = profile_merge.merge_copies(target.read_text(encoding="utf-8"),
                                                    source.read_text(encoding="utf-8"), other.id)
                report.joined.append(record.id)
                if joined.conflicts:
                    report.to_decide.append(record.id)
                joins.append((target, joined.text))
                continue
            new = interaction_id(record.date.isoformat())
            while store.interaction_file(keep.id, new).exists() or new in by_id:
                new = interaction_id(record.date.isoformat())
            report.renamed[record.id] = new
            target = store.interaction_file(keep.id, new)
        moves.append((source, target))
    ledgers: list[Path] = []  # OTHER's, read below before anything changes
    for path in other_files:
        rel = path.relative_to(other_dir)
        if rel.as_posix() == CUSTOMER_FILE or rel.parts[0] == INTERACTIONS_DIR and path.suffix == ".yaml":
            continue
        if path.name.endswith(LEDGER_SUFFIX) and len(rel.parts) == 1:
            ledgers.append(path)
            continue
        target = keep_dir / rel  # a file kehu does not know (an attachment): moved as it is
        if target.exists():
            raise KehuError(_("{rel}: {rel2} exists too; move one of them away and merge again (nothing was "
                "changed)").format(
                rel=store.rel(path), rel2=store.rel(target)))
        moves.append((path, target))
    # the ledgers' lines to move, read before anything changes: a broken line (a hand edit) in
    # either customer's ledger stops the merge here, named at its line, with nothing changed
    dropped = set(report.same_records)
    try:
        moving = {}
        for path in ledgers:
            ids, refs = _kept_entries(keep_dir / path.name)
            # a record held by both and joined: KEEP's ledger speaks for it where it names it
            # (the points of one sale, earned in each customer's copy, counted twice)
            moving[path] = _ledger_lines(path, dropped | (set(report.joined) & refs), report.renamed, ids)
    except RecordError as exc:
        raise RecordError([Problem(p.path, p.line, _("{problem}; fix this line, then merge again (nothing was "
                                                     "changed)").format(problem=p.message))
                           for p in exc.problems]) from None
    # 2. the profile
    report_changes, report.fields, report.also_known = merged_profile(
        keep, other, store.today, skip=store.config.confidential.fields)
    report_changes.update(secret.changes)
    report.fields += [name for name in secret.changes if name not in report.fields]
    report.confidential = dict(secret.how)
    changes.note(store.customer_file(keep.id))
    store.update_customer(keep.id, report_changes)
    # 3. records and other files into KEEP's folder
    for target, text in joins:
        changes.write(target, text)
    for source, target in moves:
        text = source.read_text(encoding="utf-8")
        changes.write(target, text)
        if source.parent.name == INTERACTIONS_DIR:
            report.interactions += 1
    # 4. ledgers: OTHER's entries after KEEP's, one per line as ever
    for path, lines in moving.items():
        name = path.name.removesuffix(LEDGER_SUFFIX)
        target = keep_dir / path.name
        text = target.read_text(encoding="utf-8") if target.is_file() else ""
        if lines:
            text = text or f"# {name} ledger of {keep.id}: append-only, one entry per line\n"
            if text and not text.endswith("\n"):
                text += "\n"
            changes.write(target, text + "".join(lines))
        report.ledger_entries[name] = len(lines)
    # 5. every place outside OTHER's folder that names OTHER (referrals, plans, ledgers ...)
    report.referrals = customer_refs.rename(store, other.id, keep.id, changes.note, changes.write)
    # 6. OTHER is gone
    for path in other_files:
        changes.remove(path)
    for folder in sorted(other_folders, reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()
    with contextlib.suppress(OSError):
        other_dir.rmdir()
    return list(changes.before)


def _imported_rows(records: list[Any]) -> set[Any]:
    return {row for row in map(imported_row, records) if row is not None}


def one_record(a: Any, b: Any) -> bool:
    """Two records of one id under two customers are copies of one record (a merge of the two
    customers keeps it once) unless an import made them: it names a purchase by its content,
    so two customers who bought the same on the same day from one sheet hold one id, each
    with its own ``imported_from`` row (two purchases). ``kehu check``'s rule too
    (:meth:`kehu_core.index.records.Records.interactions_held_twice`)."""
    return a.id == b.id and getattr(a, "imported_from", None) == getattr(b, "imported_from", None)


def _kept_entries(path: Path) -> tuple[set[str], set[str]]:
    """The ids of a ledger's entries (``id:``, :func:`kehu_core.ids.entry_id`) and the records
    they are about (``ref:``); none if there is no ledger."""
    if not path.is_file():
        return set(), set()
    lines = enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
    entries = [e for e in (ledger_entry(line, path, n) for n, line in lines) if e is not None]
    return ({e[ENTRY_ID] for e in entries if isinstance(e.get(ENTRY_ID), str)},
            {e["ref"] for e in entries if isinstance(e.get("ref"), str)})


def _ledger_lines(path: Path, dropped: set[str], renamed: dict[str, str], have: set[str]) -> list[str]:
    """OTHER's ledger entries as lines for KEEP's ledger: entries about a record kept once are
    left out (KEEP's ledger has them), and so are entries KEEP's ledger holds already (by their
    id: two clones that merged the two customers each into the other each moved the other's
    entries; the merge of those two is merged again), those about a renamed record name its new id.
    A broken line raises RecordError at its line (:func:`~kehu_core.store.ledgers.ledger_entry`)."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        entry = ledger_entry(line, path, n)
        if entry is None:
            continue  # the header comment
        ref = entry.get("ref")
        if ref in dropped or entry.get(ENTRY_ID) in have:
            continue
        if ref in renamed:
            entry["ref"] = renamed[ref]
            line = "- " + dump_flow_line(entry)
        out.append(line + "\n")
    return out
