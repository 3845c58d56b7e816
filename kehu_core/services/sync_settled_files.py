"""The files of a merge git stopped on that a sync settles itself, nothing lost: records git
moved with a customer another clone gave a new id (``kehu customer reid``) or placed under the
customer another clone merged theirs into (``kehu customer merge``), the ledgers and the edited
profile of a customer merged away, one customer merged into two. Each keeps what git left
(``git add``) for the merge's commit, after which :mod:`.sync_merged_away` follows the
customers merged away (their records, ledgers and references) into the customers kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..i18n import _
from ..store import CUSTOMER_FILE
from . import gitops
from .unmerged_files import DELETED_BY_THEM, DELETED_BY_US, OpenMerge, absorbed_by, customer_of, unmerged

if TYPE_CHECKING:
    from ..store import Store


def keep_moved_with_new_id(store: Store) -> list[str]:
    """During a merge git stopped: when every file it stopped on is one a side added to the
    folder of a customer the other side gave a new id (``kehu customer reid``: a sale, a note,
    a ledger line recorded meanwhile), which git moved to the new id's folder with the rest
    and left for a person ("added by us"/"by them", a directory's rename), each is kept there
    (``git add``): it is that customer's. Returns what was done, one line; nothing, and nothing
    done, when anything else stopped the merge."""
    from .customer_reid import given_new_ids
    from .unmerged_files import SET_ASIDE_OURS, SET_ASIDE_THEIRS

    root = store.root
    merge = OpenMerge(root)
    stuck = unmerged(root)
    if not stuck or merge.base is None:
        return []
    moved = {new: old for rev in ("HEAD", "MERGE_HEAD")
             for old, new in given_new_ids(root, merge.base, rev).items()}
    kept = {}
    for rel, stages in sorted(stuck.items()):
        owner = customer_of(rel)
        if (owner not in moved or stages not in (SET_ASIDE_OURS, SET_ASIDE_THEIRS) or rel.endswith(f"/{CUSTOMER_FILE}")
                or not (root / rel).is_file()):
            return []
        kept[rel] = owner
    gitops.run(root, "add", "--", *kept)
    return [_("the records of {old} written in one clone while the other gave it the new id {new} are "
              "{new}'s: {count}").format(old=moved[new], new=new, count=sum(1 for o in kept.values() if o == new))
            for new in sorted(set(kept.values()))]


def keep_placed_by_merge(store: Store) -> tuple[list[str], list[str]]:
    """During a merge git stopped on what one side added to a customer the other side merged
    into another (``kehu customer merge``): a record, which git's rename of the folder put under
    the kept customer, alone (:func:`.unmerged_files.placed_by_merge`); a ledger of the merged
    customer changed (an entry appended: its points redeemed, a sale's) that the merge deleted,
    its entries moved to the kept customer's ledger. When every file git stopped on is one of
    those, each is kept (``git add``): the record where the merge puts it, the ledger in the
    merged customer's folder, whose new entries :func:`.sync_merged_away.follow_merged_customers` takes into the
    kept customer's ledger after the commit (merged again: the entries it holds already are not
    taken twice). Deleting them only loses a sale, a redemption. Returns the paths kept (staged:
    every file git stopped on, records and ledgers; none, and nothing done, when anything else
    stopped the merge: a profile, a customer deleted by hand, lines changed two ways) and what
    to say, one line each kept customer of records placed (none for ledgers alone, which the
    follow-up says: so paths kept with nothing to say yet)."""
    from .unmerged_files import placed_by_merge

    root = store.root
    merge = OpenMerge(root)
    stuck = unmerged(root)
    if not stuck or merge.base is None:
        return [], []
    placed = placed_by_merge(merge, stuck)
    absorbed = {**absorbed_by(store.root, "HEAD", merge.base), **absorbed_by(store.root, "MERGE_HEAD", merge.base)}
    for rel, stages in stuck.items():
        owner = customer_of(rel) or ""
        path = root / rel
        if rel.endswith(f"/{CUSTOMER_FILE}") or not path.is_file() or path.is_symlink():
            return [], []
        if rel in placed:
            continue
        keep = absorbed.get(owner)
        if (stages not in (DELETED_BY_US, DELETED_BY_THEM) or keep is None or store.customer_file(owner).exists()
                or not store.customer_file(keep).is_file()):
            return [], []
    gitops.run(root, "add", "--", *stuck)
    counts: dict[tuple[str, str], int] = {}
    for rel, was in placed.items():
        pair = (was, customer_of(rel) or "")
        counts[pair] = counts.get(pair, 0) + 1
    return sorted(stuck), [_("the records of {other} written in one clone while the other merged it into {keep} "
                             "are {keep}'s: {count}").format(other=other, keep=keep, count=count)
                           for (other, keep), count in sorted(counts.items())]


def keep_edited_merged_away(store: Store) -> list[tuple[str, str, str]]:
    """During a merge git stopped: when every file it stopped on is the profile of a customer
    changed on one side and merged into another on the other (``also_known`` of the kept one,
    on either side), each is kept as the side that changed it has it (``git add``), for the
    merge to be committed and :func:`merge_again` to merge it into the kept customer. Returns
    the (merged, kept) ids so settled; nothing, and nothing done, when anything else stopped
    the merge (a conflict of lines, a customer deleted by hand, two merged each into the other):
    the person decides then, as before."""
    root = store.root
    merge = OpenMerge(root)
    stuck = unmerged(root)
    if not stuck or merge.base is None:
        return []
    absorbed = {**absorbed_by(store.root, "HEAD", merge.base), **absorbed_by(store.root, "MERGE_HEAD", merge.base)}
    pairs = []
    for rel, stages in sorted(stuck.items()):
        if not (rel.endswith(f"/{CUSTOMER_FILE}") and stages in (DELETED_BY_US, DELETED_BY_THEM)
                and (root / rel).is_file()):
            return []
        other = rel.rsplit("/", 2)[-2]
        keep = absorbed.get(other)
        if keep is None or any(k.rsplit("/", 2)[-2] == keep for k in stuck):
            return []  # deleted by hand, or merged each into the other
        pairs.append((other, keep, _("the changes to {other} made in one clone go into {keep}, into whom the "
                                     "other clone merged it: {summary}")))
    gitops.run(root, "add", "--", *stuck)
    return pairs


def merge_again(store: Store, pairs: list[tuple[str, str, str]]) -> list[str]:
    """Merge each customer kept by :func:`keep_edited_merged_away` into the one the other clone
    merged it into, one commit each; what was done, one line each."""
    from .customer_merge import merge_customers

    done = []
    for other, keep, said in pairs:
        store.index.refresh_paths([store.customer_file(other), store.customer_file(keep)])
        report = merge_customers(store, keep, other)
        done.append(said.format(other=other, keep=keep, summary=report.summary()))
    return done


def placed_by(store: Store, rev: str, base: str) -> dict[str, str]:
    """Where ``rev`` put each customer it merged into another (:func:`.unmerged_files.absorbed_by`) or gave a
    new id (``kehu customer reid``, its commit's line) since ``base``: old id -> the id now."""
    from .customer_reid import given_new_ids

    return {**absorbed_by(store.root, rev, base), **given_new_ids(store.root, base, rev)}


def merged_into_two(store: Store) -> list[tuple[str, str, str]]:
    """During a merge git stopped: one customer merged into two different ones, one in each
    clone (``customer merge 乙 甲`` there, ``customer merge 丙 甲`` here): git moved 甲's records
    to both and stopped on each (added on one side only, deleted on both). Both merges said 甲
    is 乙 and 甲 is 丙, so 乙 and 丙 are one person too: 甲's records are kept as the other clone
    placed them (its merge was shared first), this clone's copies dropped, and :func:`merge_again`
    merges 丙 into 乙. So too when one side gave 甲 a new id instead (``customer reid 甲 丙``: 甲
    is 丙 under another number), its profile moved with it, which is kept (merged into 乙 after,
    or 乙 into it). Returns [(丙, 乙)], or nothing, and nothing done, when anything else stopped
    the merge."""
    root = store.root
    merge = OpenMerge(root)
    stuck = unmerged(root)
    if not stuck or merge.base is None:
        return []
    by_stages: dict[frozenset[str], set[str]] = {}
    for rel, stages in stuck.items():
        owner = customer_of(rel)
        if owner is None:
            return []
        by_stages.setdefault(stages, set()).add(owner)
    gone, ours, theirs = (by_stages.pop(frozenset(k), set()) for k in ("1", "2", "3"))
    # a side that gave 甲 a new id (`customer reid`) moved its profile too: git pairs the move
    # with the other side's deletion of 甲's profile (renamed here or there, deleted on the other)
    renamed = by_stages.pop(frozenset("12"), set()) | by_stages.pop(frozenset("13"), set())
    if by_stages or len(gone) != 1 or len(ours) != 1 or len(theirs) != 1 or ours == theirs:
        return []
    (merged_id,), (here,), (there,) = gone, ours, theirs
    if (placed_by(store, "HEAD", merge.base).get(merged_id) != here
            or placed_by(store, "MERGE_HEAD", merge.base).get(merged_id) != there or renamed - {here, there}):
        return []
    for rel, stages in stuck.items():
        if stages == frozenset("3") or len(stages) == 2:  # as the other clone placed it; a profile moved
            gitops.run(root, "add", "--", rel)
        else:  # this clone's copy, and the merged customer's old place
            gitops.run(root, "rm", "-q", "-f", "--cached", "--", rel)
            (root / rel).unlink(missing_ok=True)
    if renamed:
        said = _("{other} and {keep} are one customer: one clone merged a customer into one of them, the other clone "
                 "gave that customer the other id (`kehu customer reid`), so {other} goes into {keep}: {summary}")
    else:
        said = _("{other} and {keep} are one customer: each clone merged the same customer into one of them, so "
                 "{other} goes into {keep}: {summary}")
    return [(here, there, said)]
