"""Customers a sync removes that no kehu command removes, named in its report with the git
command that brings them back.

kehu has no command that deletes a customer: ``kehu customer merge`` moves one into another
(its id kept under the other's ``also_known``) and ``kehu customer reid`` gives one a new id,
each saying so in what it commits. A colleague's commit that deletes customers' folders by hand
(a file manager, ``git rm -r``, a script gone wrong) deletes them in every clone at its next
sync, and the sync said only "merged 1 commit(s)". Git keeps every record: the report now names
each such customer, who removed it in which commit, and the ``git checkout`` that brings them
back (then ``kehu sync`` shares them again). So too for this clone's own commit of such a
deletion, which every other clone would take.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..i18n import _
from ..store import CUSTOMER_FILE, CUSTOMERS_DIR
from . import gitops
from .sync_settled_files import placed_by

if TYPE_CHECKING:
    from ..store import Store

#: the customers a report names one by one (the rest counted; ``kehu sync --json`` lists all)
_SHOWN = 10


@dataclass(frozen=True)
class Removed:
    """A customer whose profile a commit removed with no kehu command's say: their id, name
    (as ``before`` held it) and folder (relative to the store)."""

    id: str
    name: str
    folder: str


def removed_by_hand(store: Store, before: str, after: str = "HEAD") -> list[Removed]:
    """The customers whose profile ``before`` has and ``after`` has not, that no ``customer
    merge`` or ``customer reid`` of the commits between them placed elsewhere."""
    from .sync_messages import mapping_in  # a profile as a commit holds it; {} if it does not parse

    root = store.root
    out = gitops.run(root, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=D", "--relative",
                     before, after, "--", CUSTOMERS_DIR, check=False).stdout
    gone = [rel for rel in out.split("\0") if rel.endswith(f"/{CUSTOMER_FILE}") and rel.count("/") == 3]
    if not gone:
        return []
    placed = placed_by(store, after, before)
    found = []
    for rel in gone:
        folder = rel.rsplit("/", 1)[0]
        cid = folder.rsplit("/", 1)[-1]
        if cid in placed:
            continue
        name = str(mapping_in(gitops.show(root, before, rel)).get("name") or cid)
        found.append(Removed(cid, name, folder))
    return found


def said(store: Store, removed: list[Removed], before: str, by: str) -> list[str]:
    """The report's lines for ``removed`` (none: nothing): ``by`` says whose commit removed them
    (a remote branch's label, or this clone's commit), ``before`` the commit that still has them."""
    if not removed:
        return []
    root = store.root
    shown = removed[:_SHOWN]
    names = ", ".join(f"{r.name} ({r.id})" for r in shown) + (
        _(" and {count} more (`kehu sync --json` lists them)").format(count=len(removed) - _SHOWN)
        if len(removed) > _SHOWN else "")
    first = shown[0]
    who = gitops.run(root, "log", "-1", "--diff-filter=D", "--format=%an, %h %s", f"{before}..HEAD", "--",
                     f"{first.folder}/{CUSTOMER_FILE}", check=False).stdout.strip()
    return [_("{by} removes {count} customer(s), which no kehu command does (kehu has none that deletes a "
              "customer: their folders were deleted by hand or by a script{who}): {names}. Git keeps them: in "
              "the store's folder `git checkout {commit} -- {folders}` brings them back, then `kehu sync` "
              "shares them again").format(
        by=by, count=len(removed), who=_(", in the commit of {who}").format(who=who) if who else "",
        names=names, commit=before[:10], folders=" ".join(r.folder for r in shown))]
