"""The files of a merge git stopped on that a sync settles itself, nothing lost: records git
moved with a customer another clone gave a new id (``kehu customer reid``) or placed under the
customer another clone merged theirs into (``kehu customer merge``), the ledgers and the edited
profile of a customer merged away, one customer merged into two. Each keeps what git left
(``git add``) for the merge's commit, after which :mod:`.sync_merged_away` follows the
customers merged away (their records, ledgers and references) into the customers kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from ..i18n import _
from ..store import CUSTOMER_FILE
from . import gitops
from .unmerged_files import DELETED_BY_THEM, DELETED_BY_US, OpenMerge, absorbed_by, customer_of, unmerged

if TYPE_CHECKING:
    from pathlib import Path

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


class MergeAgain(NamedTuple):
    """A customer to merge into another once a stopped merge is committed (:func:`merge_again`):
    ``other`` into ``keep``, the words for it (``{other}``, ``{keep}``, ``{summary}``), and the
    fields of ``other``'s profile one clone changed since the merge's base with their values,
    each carried over by the merge or named (:func:`not_carried`); ``placed``: the records of
    ``other`` one clone wrote that git's rename of the folder placed under ``keep`` already
    (:func:`.unmerged_files.placed_by_merge`; after a merge by hand, those its side added:
    :func:`.merge_finishing.kept_merged_away`), which the merge finds there, not in ``other``'s
    folder, and counts with those it moves (the note said "0 records moved" of a sale gone in)."""

    other: str
    keep: str
    said: str
    edited: tuple[tuple[str, Any], ...] = ()
    placed: int = 0
    #: confidential fields of ``other`` the clone that kept it did not change since the base: the
    #: first merge decided them (the merger cleared one that could not be joined, as the refusal
    #: asks), so merging ``other`` in again leaves them as ``keep`` holds them, not refused
    settled: tuple[str, ...] = ()


def keep_edited_merged_away(store: Store) -> list[MergeAgain]:
    """During a merge git stopped: when the files it stopped on are the profiles of customers
    changed on one side and merged into another on the other (``also_known`` of the kept one,
    on either side), with, if any, the files of their folders the changing side changed too (a
    ledger: a redemption, a sale's points) and the records it added that git's rename of the
    folder placed under the kept customer (:func:`.unmerged_files.placed_by_merge`), each is
    kept as git left it (``git add``), for the merge to be committed and :func:`merge_again` to
    merge the customer into the kept one, its records and new ledger entries with it. Returns
    what to merge so; nothing, and nothing done, when anything else stopped the merge (a
    conflict of lines, a customer deleted by hand, two merged each into the other, a record of
    another customer): the person decides then, as before."""
    from .unmerged_files import placed_by_merge

    root = store.root
    merge = OpenMerge(root)
    stuck = unmerged(root)
    if not stuck or merge.base is None:
        return []
    profiles = {rel: rel.rsplit("/", 2)[-2] for rel in sorted(stuck) if rel.endswith(f"/{CUSTOMER_FILE}")}
    if not profiles:
        return []
    placed = placed_by_merge(merge, stuck) if len(profiles) < len(stuck) else {}
    for rel, stages in stuck.items():
        path = root / rel
        if (not path.is_file() or path.is_symlink() or (placed.get(rel) or customer_of(rel)) not in profiles.values()
                or (rel not in placed and stages not in (DELETED_BY_US, DELETED_BY_THEM))):
            return []
    absorbed = {**absorbed_by(store.root, "HEAD", merge.base), **absorbed_by(store.root, "MERGE_HEAD", merge.base)}
    pairs = []
    for rel, other in profiles.items():
        keep = absorbed.get(other)
        if keep is None or any(customer_of(k) == keep for k in stuck if k not in placed):
            return []  # deleted by hand, or merged each into the other
        was = gitops.show(root, merge.base, rel)
        pairs.append(MergeAgain(other, keep, merged_again_said(), edited_fields(store, was, root / rel),
                                sum(1 for was in placed.values() if was == other),
                                settled_fields(store, was, root / rel)))
    gitops.run(root, "add", "--", *stuck)
    return pairs


def merged_again_said() -> str:
    """The words for a customer changed in one clone merged into the one the other merged it into."""
    return _("the changes to {other} made in one clone go into {keep}, into whom the other clone merged it: {summary}")


def edited_fields(store: Store, was: str | None, path: Path) -> tuple[tuple[str, Any], ...]:
    """The fields of a profile (as ``path`` holds it) changed since it was ``was``, with their
    values; not its id, its merges, its ``conflicts:``, nor a confidential field (never said in
    plain: :mod:`.merge_confidential` joins them, or refuses the merge)."""
    from .. import confidential
    from .dedupe import ALSO_KNOWN
    from .profile_merge import CONFLICTS_KEY
    from .sync_messages import mapping_at, mapping_in

    before, now = mapping_in(was), mapping_at(path)
    skip = {"id", ALSO_KNOWN, CONFLICTS_KEY, *confidential.fields(store.config)}
    return tuple((name, value) for name, value in now.items() if name not in skip and before.get(name) != value)


def settled_fields(store: Store, was: str | None, path: Path) -> tuple[str, ...]:
    """The confidential fields of a profile (as ``path`` holds it) that hold what they held when
    it was ``was`` (compared as written: an unchanged value keeps its ciphertext)."""
    from .. import confidential
    from .sync_messages import mapping_at, mapping_in

    before, now = mapping_in(was), mapping_at(path)
    return tuple(name for name in confidential.fields(store.config) if name in before and before[name] == now.get(name))


def merge_again(store: Store, pairs: list[MergeAgain], *, finished: bool = False, earlier: bool = False) -> list[str]:
    """Merge each customer kept by :func:`keep_edited_merged_away` (or :func:`merged_into_two`)
    into the one the other clone merged it into, one commit each; what was done, one line each,
    and one for each change to its profile the merge did not carry over (:func:`not_carried`).
    ``finished``: after a merge left open that the sync committed as the person decided it
    (:func:`.merge_finishing.finish_merge`), which stays when the merge is refused (the customer
    stands here then, so the refusal's own advice is followed here); ``earlier``: that merge was
    committed by an earlier sync (``merge_committed.merged_away_standing``)."""
    from .. import confidential
    from ..errors import KehuError
    from .customer_merge import merge_customers
    from .merge_confidential import Unjoinable, Unreadable

    done = []
    for again in pairs:
        store.index.refresh_paths([store.customer_file(again.other), store.customer_file(again.keep)])
        try:
            report = merge_customers(store, again.keep, again.other, again.settled)
        except KehuError as refused:
            if finished and isinstance(refused, Unreadable):  # the next sync, with a key, merges it
                raise KehuError(_(
                    "the merge is committed in this clone (not pushed), with the changes to {other} made in one "
                    "clone, but {other} could not be merged into {keep}, into whom the other clone merged it: that "
                    "needs {other}'s confidential {fields} read, which your identity cannot open. Run `kehu sync` "
                    "with the identity of someone who reads both customers (a supervisor's: --identity FILE or "
                    "{IDENTITY_ENV}): it merges {other} into {keep}").format(
                    other=again.other, keep=again.keep, fields=", ".join(refused.fields),
                    IDENTITY_ENV=confidential.IDENTITY_ENV)) from None
            if finished and earlier:
                raise KehuError(_(
                    "the merge is committed in this clone (not pushed), with the changes to {other} made in one "
                    "clone, but could not merge {other} into {keep}, into whom the other clone merged it: "
                    "{why}").format(other=again.other, keep=again.keep, why=refused)) from None
            if finished:
                raise KehuError(_(
                    "kehu sync finished the merge the last sync left open, as you decided it (committed in this "
                    "clone, not pushed), with the changes to {other} made in one clone, but could not merge {other} "
                    "into {keep}, into whom the other clone merged it: {why}").format(
                    other=again.other, keep=again.keep, why=refused)) from None
            if isinstance(refused, Unreadable):  # "merge with the identity": it is the sync to run so
                raise KehuError(_(
                    "one clone changed {other} while the other merged {other} into {keep}: merging the change in "
                    "needs {other}'s confidential {fields} read, which your identity cannot open; the sync is "
                    "undone, nothing was changed in this clone. Run `kehu sync` with the identity of someone who "
                    "reads both customers (a supervisor's: --identity FILE or {IDENTITY_ENV})").format(
                    other=again.other, keep=again.keep, fields=", ".join(refused.fields),
                    IDENTITY_ENV=confidential.IDENTITY_ENV)) from None
            if not isinstance(refused, Unjoinable):
                raise
            # its advice names a customer this clone may not hold; a KehuError (not a SyncError,
            # which says what was done) has the sync undo its merge
            raise KehuError(_(
                "one clone changed {other}'s confidential {fields} while the other merged {other} into {keep}, who "
                "holds another value, which cannot be joined; the sync is undone, nothing was changed in this clone. "
                "In the clone where {other} still stands (the one that changed it), set the value to keep on {keep} "
                "(`kehu customer set {keep} {field}=...`) and clear {other}'s (`kehu customer set {other} "
                "{field}=`), then run `kehu sync` there and here").format(
                other=again.other, keep=again.keep, fields=", ".join(refused.fields),
                field=refused.fields[0])) from None
        report.interactions += again.placed  # what went into the kept customer, git's part too
        done.append(again.said.format(other=again.other, keep=again.keep, summary=report.summary()))
        done += not_carried(store, again)
    return done


def not_carried(store: Store, again: MergeAgain) -> list[str]:
    """Each change to ``again.other``'s profile (:attr:`MergeAgain.edited`) that the kept
    customer's profile does not hold after the merge: a value it holds otherwise (a level, a
    birthday), which the merge keeps (the kept customer's, as ``customer merge`` keeps it) and
    names with the command that carries the change over. Lists are joined and notes appended
    by the merge, so those are carried."""
    from .sync_messages import mapping_at

    kept = mapping_at(store.customer_file(again.keep))
    lines = []
    for name, value in again.edited:
        current = kept.get(name)
        if value is None or value == current or (name == "notes" and str(value) in str(current or "")):
            continue
        if isinstance(value, list):
            held = {str(item) for item in current} if isinstance(current, list) else set()
            missing = [str(item) for item in value if str(item) not in held]
            if not missing:
                continue
            command = f"kehu customer set {again.keep} {_arg(f'{name}+=' + ','.join(missing))}"
        elif isinstance(value, dict):
            command = f"kehu edit {again.keep}"
        else:
            command = f"kehu customer set {again.keep} {_arg(f'{name}={value}')}"
        lines.append(_("{other}'s {field} was changed to {value} in one clone, while the other merged {other} "
                       "into {keep}, whose {field} is {current}: {keep}'s is kept; `{command}` carries the change "
                       "over").format(other=again.other, field=name, value=value, keep=again.keep,
                                      current=current if current is not None else _("empty"), command=command))
    return lines


def _arg(text: str) -> str:
    """``text`` as one argument a shell takes as it is: quoted only when it needs to be (a
    Chinese value as typed, ``level=银卡``, not ``'level=银卡'``)."""
    import shlex

    return shlex.quote(text) if any(c.isspace() or c in "\"'$`\\;&|<>*?()[]{}#~!" for c in text) else text


def placed_by(store: Store, rev: str, base: str) -> dict[str, str]:
    """Where ``rev`` put each customer it merged into another (:func:`.unmerged_files.absorbed_by`) or gave a
    new id (``kehu customer reid``, its commit's line) since ``base``: old id -> the id now."""
    from .customer_reid import given_new_ids

    return {**absorbed_by(store.root, rev, base), **given_new_ids(store.root, base, rev)}


def merged_into_two(store: Store) -> list[MergeAgain]:
    """During a merge git stopped: one customer merged into two different ones, one in each
    clone (``customer merge 乙 甲`` there, ``customer merge 丙 甲`` here): git moved 甲's records
    to both and stopped on each (added on one side only, deleted on both). Both merges said 甲
    is 乙 and 甲 is 丙, so 乙 and 丙 are one person too: 甲's records are kept as the other clone
    placed them (its merge was shared first), this clone's copies dropped, and :func:`merge_again`
    merges 丙 into 乙. So too when one side gave 甲 a new id instead (``customer reid 甲 丙``: 甲
    is 丙 under another number), its profile moved with it, which is kept (merged into 乙 after,
    or 乙 into it); and when each side gave 甲 a new id (乙 there, 丙 here), each side's profile
    is kept as it wrote it and 丙 merged into 乙. Returns [(丙, 乙)], or nothing, and nothing
    done, when anything else stopped the merge."""
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
    # each clone gave 甲 a new id (`customer reid` here and there): git moved its profile to both
    # and wrote kehu's merge of the two into both, its id changed two ways (a `conflicts:` entry):
    # each side's own is kept, and 丙 is merged into 乙 (its profile read by the merge failed,
    # "id '丙' does not match its folder '乙'", at every sync of this clone, nothing said)
    profiles = {rel: rev for rel in stuck for owner, rev in ((here, "HEAD"), (there, "MERGE_HEAD"))
                if rel.count("/") == 3 and customer_of(rel) == owner and rel.endswith(f"/{CUSTOMER_FILE}")}
    both_new_ids = len(profiles) == 2
    for rel, stages in stuck.items():
        if rel in profiles and both_new_ids:
            (root / rel).write_text(gitops.show(root, profiles[rel], rel) or "", encoding="utf-8")
            gitops.run(root, "add", "--", rel)
        elif stages == frozenset("3") or len(stages) == 2:  # as the other clone placed it; a profile moved
            gitops.run(root, "add", "--", rel)
        else:  # this clone's copy, and the merged customer's old place
            gitops.run(root, "rm", "-q", "-f", "--cached", "--", rel)
            (root / rel).unlink(missing_ok=True)
    if both_new_ids:
        said = _("{other} and {keep} are one customer: each clone gave the same customer a new id (`kehu customer "
                 "reid`), one {keep} and the other {other}, so {other} goes into {keep}: {summary}")
    elif renamed:
        said = _("{other} and {keep} are one customer: one clone merged a customer into one of them, the other clone "
                 "gave that customer the other id (`kehu customer reid`), so {other} goes into {keep}: {summary}")
    else:
        said = _("{other} and {keep} are one customer: each clone merged the same customer into one of them, so "
                 "{other} goes into {keep}: {summary}")
    return [MergeAgain(here, there, said)]
