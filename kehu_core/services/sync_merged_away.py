"""Records added to a customer another clone merged away, followed to the customer it was merged into.

A supervisor merges two profiles of one person (``kehu customer merge KEEP OTHER``: OTHER's
folder is deleted, its id kept under KEEP's ``also_known``) while a rep, in their own clone,
records a sale of OTHER. Git merges the two cleanly, leaving the rep's new files in a folder
with no profile; before this module the sync then asked the person to keep OTHER whole (the
duplicate back) or to delete it whole (the sale lost). Neither is what either of them did: the
sale belongs to the customer OTHER became. So the sync does what ``customer merge`` would have
done had the sale been there first: it puts OTHER's profile back as the clone that kept it has
it and merges OTHER into KEEP again (:func:`.customer_merge.merge_customers`, one commit), its
new records moved, their ledger entries with them. So too when the rep changed OTHER's profile
(a new phone): git stops on it, changed on one side and deleted on the other, and the change
goes into KEEP's profile as ``customer merge`` merges two profiles
(:func:`.sync_settled_files.keep_edited_merged_away`, where the files git stopped on that the
sync settles itself are).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..i18n import _
from ..store import CUSTOMER_FILE, CUSTOMERS_DIR
from . import gitops
from .merge_settling import orphaned_profiles
from .unmerged_files import absorbed_by, customer_of, merged_into

if TYPE_CHECKING:
    from ..store import Store


def follow_merged_customers(store: Store, ref: str) -> list[str]:
    """After a merge of ``ref`` git finished alone (HEAD the merge, HEAD^1 this clone's side):
    each customer one side merged into another while the other side added files to its
    folder is merged into that customer again, those files with it, each a commit after the
    merge. Returns what was done, one line each; nothing when there was no such customer, or
    when another customer was deleted so (not merged), for which the person decides."""
    root = store.root
    ours = "HEAD^1"
    base = gitops.run(root, "merge-base", ours, ref, check=False).stdout.strip()
    if not base:
        return []
    orphaned = orphaned_profiles(root, base, "HEAD")
    if not orphaned:
        return []
    absorbed = {**absorbed_by(store.root, ours, base), **absorbed_by(store.root, ref, base)}
    if any(rel.rsplit("/", 2)[-2] not in absorbed for rel in orphaned):
        # one deleted, not merged into anyone: the person decides for each
        # (merge_settling.reopen_orphaned_customers, which needs HEAD to be the merge)
        return []
    from .customer_merge import merge_customers

    done = []
    for rel in orphaned:
        other = rel.rsplit("/", 2)[-2]
        keep = absorbed[other]
        kept_by = ref if gitops.run(root, "cat-file", "-e", f"{ref}:{rel}", check=False).returncode == 0 else ours
        # the profile as the side that kept it has it, in the working tree only: the merge of
        # the customer below removes it again, and commits its folder as HEAD had none
        (root / rel).write_text(gitops.show(root, kept_by, rel) or "", encoding="utf-8")
        store.index.refresh_paths([root / rel])
        report = merge_customers(store, keep, other)
        said = (_("the records of {other} added in this clone follow it into {keep}, into whom the other "
                  "clone merged it: {summary}") if kept_by == ours else
                _("the records of {other} added in the other clone follow it into {keep}, into whom this "
                  "clone merged it: {summary}"))  # the side that kept its profile added them
        done.append(said.format(other=other, keep=keep, summary=report.summary()))
    return done


def follow_references(store: Store, ref: str, ours: str = "HEAD^1") -> list[str]:
    """After a merge of ``ref`` git finished alone (HEAD the merge, HEAD^1 this clone's side):
    each customer one side merged into another (``also_known`` of the one kept, changed on that
    side since the merge base) that a place outside its folder still names, as the other side
    wrote it meanwhile (a referral, a visit plan, a segment's ids, a ledger entry's ``ref``, a
    reminder's key: :mod:`.customer_refs`' list), names the customer kept, as ``customer merge``
    would have made it had it been there, one commit. Git merged those cleanly, and the sync was
    refused for ever ("referrer: no such customer"), or a planned visit was left out. ``ours``:
    this clone's side of the merge, named by its commit when commits followed the merge (a
    customer merged into the kept one again: HEAD^1 was that commit's parent then, the other
    side's merges not asked, and a referral to one of them was refused at every sync). Returns
    what was done, one line each."""
    root = store.root
    base = gitops.run(root, "merge-base", ours, ref, check=False).stdout.strip()
    if not base:
        return []
    from .customer_reid import given_new_ids

    absorbed = {**absorbed_by(store.root, ours, base), **absorbed_by(store.root, ref, base)}
    # a customer given a new id (`kehu customer reid`) is followed as one merged away
    renamed = {**given_new_ids(root, base, ours), **given_new_ids(root, base, ref)}
    absorbed.update(renamed)
    gone = {other: keep for other, keep in sorted(absorbed.items())
            if not store.customer_file(other).exists() and store.customer_file(keep).exists()}
    # named anywhere but in the profile that records the merge? (git's grep of the merged tree: fast)
    def named_elsewhere(other: str, keep: str) -> bool:
        found = gitops.run(root, "grep", "-l", "-F", "-e", other, "HEAD", "--", ".", check=False).stdout
        paths = {line.removeprefix("HEAD:") for line in found.splitlines() if line}
        return bool(paths - {store.rel(store.customer_file(keep))})

    named = {other: keep for other, keep in gone.items() if named_elsewhere(other, keep)}
    if not named:
        return []
    store.index.refresh_changed(gitops.changed_paths(root, ours, "HEAD"))  # the merge's files
    return _follow_named(store, named, set(renamed))


def _follow_named(store: Store, named: dict[str, str], renamed: set[str]) -> list[str]:
    """Make each place of :mod:`.customer_refs`' list naming a customer of ``named`` (merged
    away, or given a new id: ``renamed``) name the one it became, one commit of those files
    alone; what was done, one line each."""
    from . import customer_refs

    root = store.root
    touched: list[Path] = []

    def write(path: Path, text: str) -> None:
        from ..yamlio import atomic_write

        touched.append(path)
        atomic_write(path, text)

    done = []
    for other, keep in named.items():
        before = len(touched)
        referred = customer_refs.rename(store, other, keep, touched.append, write)
        if (len(touched) > before or referred) and other in renamed:
            done.append(_("the references to {other} written in one clone while the other gave it the new id "
                          "{keep} name {keep}").format(other=other, keep=keep))
        elif len(touched) > before or referred:
            done.append(_("the references to {other} written in one clone while the other merged it into "
                          "{keep} name {keep}").format(other=other, keep=keep))
    rels = sorted({store.rel(path) for path in touched})  # those alone: edits not yet checked stay out
    if done and rels and gitops.commit(root, "kehu sync: references to merged customers name the customers "
                                       "kept\n\n" + "\n".join(f"{o} -> {k}" for o, k in named.items()) + "\n",
                                       rels):
        store.index.refresh_paths(touched)
        return done
    return []


def follow_up_hand_merge(store: Store) -> list[str]:
    """A merge this clone holds and has not pushed (HEAD a merge not on its upstream: a rep's
    own ``git pull``, or a sync killed between its merge and what follows it) is followed up as
    the sync's own merge is: records and references of a customer merged away follow it
    (:func:`follow_merged_customers`, :func:`follow_references`). Else the sync found the merge
    made and refused it for ever ("referrer: no such customer"), not saying why. Call with the
    store's lock held."""
    root = store.root
    upstream = gitops.run(root, "rev-parse", "-q", "--verify", "@{upstream}", check=False).stdout.strip()
    if gitops.run(root, "rev-parse", "-q", "--verify", "HEAD^2", check=False).returncode:
        return follow_up_rebased(store, upstream)
    if upstream and not gitops.run(root, "merge-base", "--is-ancestor", "HEAD", upstream, check=False).returncode:
        return []  # the remote has it: followed up where it was made
    # named by their commits: records followed below are a commit, after which HEAD^2 is none
    ours, theirs = (gitops.run(root, "rev-parse", side, check=False).stdout.strip() for side in ("HEAD^1", "HEAD^2"))
    return follow_merged_customers(store, theirs) + follow_references(store, theirs, ours)


def follow_up_rebased(store: Store, upstream: str) -> list[str]:
    """This clone's own commits replayed onto its upstream (``git pull`` with ``pull.rebase``
    set, ``git pull --rebase``: no merge commit to follow up) that still name a customer the
    upstream merged into another meanwhile — a referrer, records added to its folder — follow it
    as a merge's would (:func:`follow_up_hand_merge`): the sync refused them for ever, "referrer:
    no such customer". With no merge base to ask, the customers are those the store names and
    has no profile of (a referrer, a folder of records: ``kehu check``'s problems) that a profile
    names under ``also_known``, or a commit as given a new id (``kehu customer reid``)."""
    from .customer_reid import given_new_ids
    from .sync_messages import mapping_at

    root = store.root
    if not upstream or gitops.head(root) == upstream or gitops.run(
            root, "merge-base", "--is-ancestor", upstream, "HEAD", check=False).returncode:
        return []  # nothing replayed onto it (or nothing to follow it to)
    index = store.index
    known = set(index.ids())
    orphans = {cid for rel, _kind in index.orphan_record_files() if (cid := customer_of(rel)) is not None}
    missing = orphans | {referrer for _cid, _name, referrer, _created in index.referrals()
                         if isinstance(referrer, str) and referrer not in known}
    if not missing:
        return []
    became: dict[str, str] = {}
    first = gitops.run(root, "rev-list", "--max-parents=0", "HEAD", check=False).stdout.split()
    renamed = given_new_ids(root, first[0], "HEAD") if first else {}
    for other in sorted(missing):
        if other in renamed and renamed[other] in known:
            became[other] = renamed[other]
            continue
        found = gitops.run(root, "grep", "-l", "-F", "-e", other, "--", f"{CUSTOMERS_DIR}/*/*/{CUSTOMER_FILE}",
                           check=False).stdout.split()
        keeps = sorted(customer_of(rel) or "" for rel in found if other in merged_into(mapping_at(root / rel)))
        if keeps and keeps[0] in known:
            became[other] = keeps[0]
    if not became:
        return []
    from .customer_merge import merge_customers

    done = []
    for other in sorted(orphans & set(became)):
        keep, rel = became[other], store.rel(store.customer_file(other))
        if other in renamed:  # records added to the old id's folder: moved as the reid moved the rest
            continue
        last = gitops.run(root, "log", "-1", "--format=%H", "--", rel, check=False).stdout.strip()
        text = gitops.show(root, f"{last}^", rel) if last else None
        if not text:
            continue
        (root / rel).write_text(text, encoding="utf-8")  # as it was, for the merge to take it whole
        store.index.refresh_paths([root / rel])
        report = merge_customers(store, keep, other)
        done.append(_("the records of {other} added in this clone follow it into {keep}, into whom the other "
                      "clone merged it: {summary}").format(other=other, keep=keep, summary=report.summary()))
    return done + _follow_named(store, became, {o for o in became if o in renamed})
