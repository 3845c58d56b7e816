"""``kehu customer reid OLD [NEW]``: a customer under a new id, nothing of it lost or left behind.

What a person needs when one id was given to two people in two clones (two reps numbering new
customers by hand, each taking the next number): ``kehu sync``, and git's merge through kehu's
driver, stop rather than join them (``merge_driver.given_one_id``), and the way on is to give
this clone's customer another id. Its folder (profile, purchases and other records, ledgers,
files kehu does not know) moves to the new id's folder, the profile's ``id`` with it, and every
place naming the old id (a referrer, a visit plan, a ledger entry's ``ref``, a reminder's key, a
saved segment's ids: :mod:`kehu_core.services.customer_refs`, the list ``customer merge``
follows) names the new one, as one change under the store lock and one git commit; a failure
half-way puts every file back.

Unlike a merge, no ``also_known`` names the old id: the two are not one customer, and the old id
stays the other clone's customer's alone (an import's row naming an id under ``also_known``
finds the customer holding it).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import KehuError
from ..i18n import _
from ..ids import check_id
from ..store import CUSTOMER_FILE, LEDGER_SUFFIX
from ..yamlio import load_roundtrip
from ..yamlio.roundtrip import dump_roundtrip
from . import customer_refs, gitops
from .file_changes import FileChanges, files_below

if TYPE_CHECKING:
    from ..store import Store


#: the line of a reid's commit that names the two ids: a sync merging it follows the customer
#: (:func:`given_new_ids`), as the other clone may have written records and references of OLD
TRAILER = "Kehu-Reid"
_TRAILER_LINE = re.compile(rf"^{TRAILER}: (\S+) -> (\S+)$", re.M)


def given_new_ids(root: Path, base: str, rev: str) -> dict[str, str]:
    """The customers given a new id (``kehu customer reid``) in the commits of ``rev`` since
    ``base``, old id -> new id, as their commits say (a chain followed to its end)."""
    out = gitops.run(root, "log", "--format=%B", "--grep", f"^{TRAILER}: ", f"{base}..{rev}", check=False).stdout
    found: dict[str, str] = {}
    for old, new in reversed(_TRAILER_LINE.findall(out)):  # oldest first
        found[old] = new
        for was, now in found.items():
            if now == old:
                found[was] = new
    return found


@dataclass
class ReidReport:
    old: str
    new: str
    name: str
    files: int = 0  # the files moved with the customer (its profile too)
    referrals: list[str] = field(default_factory=list)  # customers whose referrer now names NEW
    commit: str | None = None

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def summary(self) -> str:
        said = _("{name} ({old}) is now {new}: {count} files moved").format(
            name=self.name, old=self.old, new=self.new, count=self.files)
        if self.referrals:
            said += _("; {count} referrals now point at {new}").format(count=len(self.referrals), new=self.new)
        return said


def reid_customer(store: Store, old_id: str, new_id: str | None = None) -> ReidReport:
    """Give customer ``old_id`` the id ``new_id`` (a new one of its own if None): see the
    module's docstring."""
    check_id(old_id, "customer id")
    if new_id is not None:
        check_id(new_id, "customer id")
    with store.lock():
        commits = gitops.has_repo(store.root)
        if commits and (why := gitops.commit_problem(store.root)):
            raise KehuError(_("a new id for a customer is committed, and no commit can land here now: "
                              "{why}; nothing was changed").format(why=why))
        customer = store.get(old_id)  # NotFound, or invalid: path:line
        store.interactions(old_id)  # every record readable before anything moves
        new_id = new_id or store.new_customer_id()
        if new_id == old_id:
            raise KehuError(_("{id} is already the customer's id").format(id=old_id))
        new_dir = store.customer_dir(new_id)
        if store.exists(new_id) or new_dir.exists():
            raise KehuError(_("customer {id} already exists ({rel}); choose another id").format(
                id=repr(new_id), rel=store.rel(new_dir)))
        store.refuse_case_twin(new_dir)  # the store's own rule for a new folder
        store.refuse_merged_away_id(new_id)
        report = ReidReport(old_id, new_id, customer.name)
        changes = FileChanges(store)
        old_dir = store.customer_dir(old_id)
        try:
            _move(store, old_id, new_id, changes, report)
            changes.reindex()
            # every other place naming OLD, read from the index the move just refreshed
            report.referrals = customer_refs.rename(store, old_id, new_id, changes.note, changes.write)
            changes.reindex()
            if commits:
                message = (f"kehu customer reid: {customer.name} ({old_id}) is now {new_id}\n\n"
                           f"{report.files} files moved; referrals now naming {new_id}: "
                           f"{', '.join(report.referrals) or 'none'}\n\n{TRAILER}: {old_id} -> {new_id}\n")
                report.commit = changes.commit(message, [old_dir, new_dir, *changes.before])
        except BaseException:
            changes.take_back()
            raise
        changes.done()
    return report


def _move(store: Store, old: str, new: str, changes: FileChanges, report: ReidReport) -> None:
    """Every file of OLD's folder into NEW's: the profile with its ``id``, a ledger's header line
    naming its customer; the rest as it is."""
    old_dir, new_dir = store.customer_dir(old), store.customer_dir(new)
    files, folders = files_below(old_dir)
    for path in files:
        rel = path.relative_to(old_dir)
        text = path.read_text(encoding="utf-8")
        if rel.as_posix() == CUSTOMER_FILE:
            doc = load_roundtrip(path)
            doc["id"] = new
            text = dump_roundtrip(doc, like=text)
        elif len(rel.parts) == 1 and path.name.endswith(LEDGER_SUFFIX):
            first, nl, rest = text.partition("\n")
            if first.startswith("#") and f" of {old}:" in first:  # "# points ledger of OLD: ..."
                text = first.replace(f" of {old}:", f" of {new}:", 1) + nl + rest
        target = new_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        changes.write(target, text)
        report.files += 1
    for path in files:
        changes.remove(path)
    for folder in [*sorted(folders, reverse=True), old_dir]:
        with contextlib.suppress(OSError):
            folder.rmdir()
