"""The files a sync's merge left unmerged, and what each asks of the person.

Git stops on a file both clones changed, or one changed and the other deleted. kehu words
each as a ``path:line`` problem (``kehu check``, the TUI, the sync's own message) naming the
decision to take: a file moved from one customer to another by ``kehu customer merge`` and
deleted with that customer in the other clone is said to be so, not only "changed here,
deleted there" of a file the other clone never had at that path.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from ..errors import KehuError, Problem
from ..i18n import _
from ..ids import shard
from ..store import CUSTOMER_FILE, CUSTOMERS_DIR
from ..yamlio.files import markers_message
from . import gitops, merge_conflicts, replay_stopped

# `git ls-files -u` stages: 1 the common ancestor, 2 ours, 3 theirs
DELETED_BY_US = frozenset({"1", "3"})
DELETED_BY_THEM = frozenset({"1", "2"})
# one side's file alone: git set it aside (``lisi~HEAD``) where the other side has a folder of
# that name (a file/folder clash), or could not place it otherwise
SET_ASIDE_OURS = frozenset({"2"})
SET_ASIDE_THEIRS = frozenset({"3"})
#: added on both sides, differently (no common version): of a profile, two customers given one
#: id, which kehu's driver leaves unmerged (``merge_driver.given_one_id``)
ADDED_BY_BOTH = frozenset({"2", "3"})
#: the unmerged files whose fix is a decision (keep or delete), not an edit
DECISIONS = (DELETED_BY_US, DELETED_BY_THEM, SET_ASIDE_OURS, SET_ASIDE_THEIRS)


def unmerged(root: Path) -> dict[str, frozenset[str]]:
    """Each path git left unmerged, with the stages it has (see the constants above)."""
    result = gitops.run(root, "ls-files", "-u", "-z", check=False)
    if result.returncode != 0:
        return {}
    stages: dict[str, set[str]] = {}
    for entry in result.stdout.split("\0"):
        meta, _tab, path = entry.partition("\t")
        if path:
            stages.setdefault(path, set()).add(meta.split()[-1])
    return {path: frozenset(s) for path, s in stages.items()}


class OpenMerge:
    """The merge under way in a clone (HEAD and MERGE_HEAD), as the questions about it share it:
    its base is asked of git once, when first needed, however many ask (finishing a merge, the
    decisions waiting, the deleted customers' and the moved records' settlements each asked)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @functools.cached_property
    def base(self) -> str | None:
        """The merge base of HEAD and MERGE_HEAD; None outside a merge, or of histories with none."""
        if not gitops.ref_exists(self.root, "MERGE_HEAD"):
            return None
        return gitops.run(self.root, "merge-base", "HEAD", "MERGE_HEAD", check=False).stdout.strip() or None


def moved_between_customers(merge: OpenMerge, stuck: dict[str, frozenset[str]]) -> dict[str, str]:
    """Unmerged files that are there because one side moved them from another customer's
    folder (``kehu customer merge``: the merged customer's purchases go to the one kept) while
    the other side deleted them there (that customer deleted whole): git follows the move and
    stops on the file at its new path. Each such path with the customer it was moved from."""
    moved: dict[str, str] = {}
    for side, kind in (("HEAD", DELETED_BY_THEM), ("MERGE_HEAD", DELETED_BY_US)):
        if any(stages == kind for stages in stuck.values()):
            moved.update({rel: was for rel, was in moved_by_merge(merge, side).items()
                          if stuck.get(rel) == kind})
    return moved


def moved_by_merge(merge: OpenMerge, side: str) -> dict[str, str]:
    """During a merge: the files ``side`` (``HEAD`` or ``MERGE_HEAD``) moved from one customer's
    folder to another's since the merge base, found as git's merge finds them (renames), each
    with the customer it came from."""
    if merge.base is None:
        return {}
    out = gitops.run(merge.root, "diff", "-M", "--name-status", "-z", "--diff-filter=R", merge.base, side,
                     "--", CUSTOMERS_DIR, check=False).stdout.split("\0")
    moved: dict[str, str] = {}
    for status, old, new in zip(out[0::3], out[1::3], out[2::3], strict=False):
        was, now = customer_of(old), customer_of(new)
        if status.startswith("R") and was and now and was != now:
            moved[new] = was
    return moved


def placed_by_merge(merge: OpenMerge, stuck: dict[str, frozenset[str]]) -> dict[str, str]:
    """Unmerged files one side added to a customer's folder that the other side moved whole to
    another customer (``kehu customer merge``): git's rename of the folder takes the new file
    along and stops on it, one side's file alone at the kept customer's path. Each such path
    with the customer it was written to."""
    placed: dict[str, str] = {}
    for stages, added, mover in ((SET_ASIDE_THEIRS, "MERGE_HEAD", "HEAD"), (SET_ASIDE_OURS, "HEAD", "MERGE_HEAD")):
        alone = [rel for rel, s in stuck.items() if s == stages and "~" not in rel.rsplit("/", 1)[-1]]
        if not alone:
            continue
        pairs = {(was, customer_of(new)) for new, was in moved_by_merge(merge, mover).items()}
        for rel in alone:
            now = customer_of(rel)
            for was in sorted(w for w, n in pairs if n == now):
                tail = rel.split(f"/{now}/", 1)[1]
                at = f"{CUSTOMERS_DIR}/{shard(was)}/{was}/{tail}"
                if gitops.run(merge.root, "cat-file", "-e", f"{added}:{at}", check=False).returncode == 0:
                    placed[rel] = was
                    break
    return placed


def customer_of(rel: str) -> str | None:
    """The customer id of a path ``customers/<shard>/<id>/...``."""
    parts = rel.split("/")
    return parts[2] if len(parts) > 3 and parts[0] == CUSTOMERS_DIR else None


def given_new_ids(merge: OpenMerge) -> set[tuple[str, str]]:
    """The (old, new) ids either side gave a customer since the merge base (``kehu customer
    reid``): a move of its files is no ``customer merge``."""
    from .customer_reid import given_new_ids as in_commits

    if merge.base is None:
        return set()
    return {pair for side in ("HEAD", "MERGE_HEAD") for pair in in_commits(merge.root, merge.base, side).items()}


def describe_unmerged(rel: str, stages: frozenset[str], moved_from: str | None = None, *,
                      whole: bool = True, reid: bool = False, placed_from: str | None = None,
                      merged_to: str | None = None) -> str:
    """What an unmerged file asks of the person. ``whole``: the file's customer is deleted on
    one side too (its profile unmerged or gone), so keeping or deleting it keeps or deletes the
    customer whole; else it is one record of a customer both clones keep (a purchase taken back
    with `kehu undo` there, paid here), decided alone. ``placed_from``: the customer one clone
    wrote the file to, whom the other merged into this one (:func:`placed_by_merge`). ``merged_to``:
    the customer the side that deleted the file's customer merged it into (:func:`merged_away`)."""
    if moved_from is not None and reid:
        how = (_("moved here from {other} by `kehu customer reid` (a new id) in this clone, while the other clone "
                 "deleted {other} whole") if stages == DELETED_BY_THEM else
               _("deleted in this clone with {other}, while the other clone gave {other} this new id (`kehu "
                 "customer reid`)")).format(other=moved_from)
        return _("{how} (a sync's merge is waiting for you): keep the customer under its new id with `git add` of "
                 "its files, {rel} among them, or delete it whole with `git rm` of them, then `kehu sync`").format(
                     how=how, rel=rel)
    if moved_from is not None:
        how = (_("moved to this customer from {other} by `kehu customer merge` in this clone, while the other "
                 "clone deleted {other} whole") if stages == DELETED_BY_THEM else
               _("deleted in this clone with {other}, while the other clone moved it to this customer "
                 "(`kehu customer merge`)")).format(other=moved_from)
        return _("{how} (a sync's merge is waiting for you): keep it as this customer's with `git add {rel}`, "
                 "or delete it with `git rm {rel}` (the ledger entries naming it, such as its points, go "
                 "with it), then `kehu sync`").format(how=how, rel=rel)
    if stages in (SET_ASIDE_OURS, SET_ASIDE_THEIRS):
        name = rel.rsplit("/", 1)[-1]
        was = rel[: len(rel) - len(name)] + name.rsplit("~", 1)[0] if "~" in name else rel
        side = _("this clone's") if stages == SET_ASIDE_OURS else _("the other clone's")
        if was == rel and placed_from is not None:
            how = (_("a record of {other} added in this clone, while the other clone merged {other} into this "
                     "customer (`kehu customer merge`)") if stages == SET_ASIDE_OURS else
                   _("a record of {other} added in the other clone, while this clone merged {other} into this "
                     "customer (`kehu customer merge`)")).format(other=placed_from)
            return _("{how}: git put it here, under this customer, as the merge would have, and asks. Nothing is "
                     "lost: keep it here with `git add {rel}` (it is this customer's now), or delete it with "
                     "`git rm {rel}`, then `kehu sync`").format(how=how, rel=rel)
        if was == rel:  # not set aside: each clone moved one file to a different place
            return _("{side} file alone: each clone moved the same record to a different place (one customer "
                     "merged into two, say); keep it here with `git add {rel}`, or delete it with `git rm {rel}`, "
                     "then `kehu sync`").format(side=side, rel=rel)
        return _("{side} file, which git set aside under this name: the other clone has a folder (or another "
                 "file) at {was}. It is no record: delete it with `git rm {rel}`, or keep it as it is named "
                 "now with `git add {rel}`, then `kehu sync`").format(side=side, was=was, rel=rel)
    if merged_to is not None and stages in (DELETED_BY_US, DELETED_BY_THEM):
        owner = customer_of(rel)
        how = (_("changed in the other clone, while this clone merged {other} into {keep} (`kehu customer merge`)")
               if stages == DELETED_BY_US else
               _("changed in this clone, while the other clone merged {other} into {keep} (`kehu customer merge`)"))
        if rel.endswith(f"/{CUSTOMER_FILE}"):  # merged into {keep} again with the change (sync_settled_files)
            return _("{how} (a sync's merge is waiting for you): keep it with `git add {rel}`, and its change will go "
                     "into {keep} when `kehu sync` finishes the merge (a value {keep} holds otherwise named, with the "
                     "command that carries it over), or delete it with `git rm {rel}` (the change is lost), then "
                     "`kehu sync`").format(how=how.format(other=owner, keep=merged_to), rel=rel, keep=merged_to)
        return _("{how} (a sync's merge is waiting for you): keep it with `git add {rel}`, and what it holds (its "
                 "points) will follow it into {keep} when `kehu sync` finishes the merge, or delete it with `git rm "
                 "{rel}` (what it holds is lost), then `kehu sync`").format(
                     how=how.format(other=owner, keep=merged_to), rel=rel, keep=merged_to)
    if stages == DELETED_BY_US:
        how = _("deleted in this clone, changed in the other")
    elif stages == DELETED_BY_THEM:
        how = _("changed in this clone, deleted in the other")
    else:
        return _("git merge not finished: changed in both clones; check it, then `kehu sync` "
                 "finishes the merge")
    if customer_of(rel) is not None and not whole and "/interactions/" in rel:  # one record; its customer stays
        return _("{how} (a sync's merge is waiting for you): keep this record with `git add {rel}` (the ledger "
                 "entries naming it, such as its points, come back with it), or delete it with `git rm {rel}`, "
                 "then `kehu sync`; its customer stays in both clones").format(how=how, rel=rel)
    if customer_of(rel) is None or not whole:  # a template, a ledger: no customer to keep whole
        return _("{how} (a sync's merge is waiting for you): keep it with `git add {rel}`, or delete "
                 "it with `git rm {rel}`, then `kehu sync`").format(how=how, rel=rel)
    return _("{how} (a sync's merge is waiting for you): keep it with `git add {rel}`, or delete "
             "it with `git rm {rel}`, then `kehu sync` (a customer is kept or deleted whole, with "
             "its purchases)").format(how=how, rel=rel)


def merged_away(merge: OpenMerge, stuck: dict[str, frozenset[str]]) -> dict[str, str]:
    """Unmerged files changed on one side in the folder of a customer the other side merged into
    another (``kehu customer merge``) whose profile is here, its own gone or one of them (its
    change): each with the customer kept. Kept, such a file follows its customer there once the
    merge is finished (``merge_finishing``: a ledger's entries, a profile's change)."""
    root = merge.root
    candidates = {rel: owner for rel, stages in stuck.items() if stages in (DELETED_BY_US, DELETED_BY_THEM)
                  and (owner := customer_of(rel)) and ((profile := f"{CUSTOMERS_DIR}/{shard(owner)}/{owner}/"
                                                        f"{CUSTOMER_FILE}") in stuck or not (root / profile).exists())}
    if not candidates or merge.base is None:
        return {}
    out = {}
    for deleter, stages in (("HEAD", DELETED_BY_US), ("MERGE_HEAD", DELETED_BY_THEM)):
        mine = {rel: owner for rel, owner in candidates.items() if stuck[rel] == stages}
        kept = kept_by_merge(merge, deleter, set(mine.values())) if mine else {}  # one git diff a side
        out.update({rel: kept[owner] for rel, owner in mine.items() if owner in kept  # not merged both ways:
                    and f"{CUSTOMERS_DIR}/{shard(kept[owner])}/{kept[owner]}/{CUSTOMER_FILE}" not in stuck})
    return out


def kept_by_merge(merge: OpenMerge, rev: str, owners: set[str]) -> dict[str, str]:
    """Of ``owners``, each that ``rev`` merged into another customer (``kehu customer merge``:
    named under ``also_known`` of a profile it changed since the merge's base) whose profile is
    here, with that customer: the one rule of :func:`merged_away` and of
    ``merge_finishing.settle_deleted_customers``."""
    if merge.base is None:
        return {}
    absorbed = absorbed_by(merge.root, rev, merge.base)
    return {owner: keep for owner in owners if (keep := absorbed.get(owner)) is not None
            and (merge.root / CUSTOMERS_DIR / shard(keep) / keep / CUSTOMER_FILE).is_file()}


def _whole(root: Path, rel: str, stuck: dict[str, frozenset[str]]) -> bool:
    """Whether deciding ``rel`` decides its customer whole: the profile itself, or a file of a
    customer whose profile is unmerged too or gone (deleted on one side)."""
    owner = customer_of(rel)
    if owner is None or rel.endswith(f"/{CUSTOMER_FILE}"):
        return True
    profile = f"{rel.split('/' + owner + '/', 1)[0]}/{owner}/{CUSTOMER_FILE}"
    return profile in stuck or not (root / profile).is_file()


def who(text: str | None) -> str:
    """A profile's text as a person knows the customer: the name, phones and emails."""
    from .sync_messages import mapping_in  # {} if it does not parse

    data = mapping_in(text)
    return " ".join([str(data.get("name") or "?"), *map(str, data.get("phones") or []),
                     *map(str, data.get("emails") or [])])


def given_one_id_text(cid: str, mine: str | None, theirs: str | None, *, merging: bool) -> str:
    """What two customers given one id (``merge_driver.given_one_id``) ask of the person: the
    one home of the words ``kehu sync``, git's merge driver, ``kehu check`` and the TUI say.
    ``merging``: git's merge (or rebase) is under way, stopped on the profile; else the sync
    stopped before it, the clone as it was."""
    said = _("{id} was added in this clone ({mine}) and in the other ({theirs}) as two different customers, "
             "and one id holds one customer (kehu does not guess whether they are one person)").format(
                 id=cid, mine=who(mine), theirs=who(theirs))
    first = (_("undo git's merge (`git merge --abort`, or `git rebase --abort` while rebasing), then ")
             if merging else "")
    return said + ": " + first + _(
        "give this clone's customer a new id with `kehu customer reid {id}` (its records and every "
        "reference to it follow), then `kehu sync`; if the two are one person, `kehu customer merge {id} "
        "NEW` after that sync joins them").format(id=cid)


def given_one_id_stuck(root: Path, stuck: dict[str, frozenset[str]]) -> dict[str, str]:
    """The profiles git's merge left unmerged as two customers given one id, each with the
    words for it (:func:`given_one_id_text`), this clone's side first (a rebase swaps git's)."""
    out: dict[str, str] = {}
    for rel, stages in stuck.items():
        cid = customer_of(rel)
        if stages != ADDED_BY_BOTH or cid is None or not rel.endswith(f"/{CUSTOMER_FILE}"):
            continue
        sides = [gitops.show(root, f":{n}", rel) for n in ("2", "3")]
        if gitops.replaying(root):
            sides.reverse()
        out[rel] = given_one_id_text(cid, *sides, merging=True)
    return out


def merged_both_ways(root: Path, stuck: dict[str, frozenset[str]]) -> dict[str, str]:
    """Customers two clones merged each into the other (``customer merge X Y`` here, ``customer
    merge Y X`` there): each deleted on one side, kept on the other with the other's id under
    ``also_known``. The ``customer.yaml`` of each (relative), with the other's id. Keeping both
    would hold every purchase of the two under both; one of them is to be kept."""
    from .sync_messages import mapping_at

    absorbed: dict[str, tuple[str, set[str]]] = {}  # id -> (its profile, the ids merged into it)
    for rel, stages in stuck.items():
        if rel.endswith(f"/{CUSTOMER_FILE}") and stages in (DELETED_BY_US, DELETED_BY_THEM):
            absorbed[rel.rsplit("/", 2)[-2]] = (rel, merged_into(mapping_at(root / rel)))
    return {rel: other for cid, (rel, ids) in absorbed.items() for other in sorted(ids)
            if other in absorbed and cid in absorbed[other][1]}


def merged_into(profile: Any) -> set[str]:
    """The ids a profile names under ``also_known``: customers merged into it."""
    from .dedupe import ALSO_KNOWN

    known = profile.get(ALSO_KNOWN) if isinstance(profile, dict) else None
    return {e["id"] for e in known if isinstance(e, dict) and isinstance(e.get("id"), str)} \
        if isinstance(known, list) else set()


def absorbed_by(root: Path, rev: str, base: str) -> dict[str, str]:
    """Each customer id a profile changed in ``rev`` since ``base`` names under ``also_known``
    (merged into it), with the id of that profile. A profile git would call renamed (the one
    merged away, alike, its folder deleted) is one added: so taken, the sync said of a customer
    given a new id in both clones and merged so that it was "removed by hand"."""
    from .sync_messages import mapping_in  # a profile as a commit holds it; {} if it does not parse

    changed = gitops.run(root, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=AM", base, rev, "--",
                         CUSTOMERS_DIR, check=False).stdout.split("\0")
    found: dict[str, str] = {}
    for rel in changed:
        if not rel.endswith(f"/{CUSTOMER_FILE}"):
            continue
        for other in merged_into(mapping_in(gitops.show(root, rev, rel))):
            found.setdefault(other, rel.rsplit("/", 2)[-2])
    return found


def _both_ways_text(other: str) -> str:
    return _("this customer and {other} were merged each into the other, here and in the other clone: "
             "keep one of the two (`git add` its files) and delete the other (`git rm` its files); kept "
             "both, every purchase of the two would be held twice").format(other=other)


def unmerged_problems(root: Path) -> list[Problem]:
    """The files git left unmerged, as ``kehu check`` and the TUI show them."""
    try:
        stuck = unmerged(root)
    except KehuError:  # no git at all: nothing can be unmerged
        return []
    both = merged_both_ways(root, stuck)
    merge = OpenMerge(root)
    moved = moved_between_customers(merge, stuck)
    reids = given_new_ids(merge) if moved else set()
    placed = placed_by_merge(merge, stuck)
    away = merged_away(merge, stuck)
    twice = given_one_id_stuck(root, stuck)
    replayed = gitops.replaying(root) if stuck else False
    problems = []
    for rel, stages in sorted(stuck.items()):
        path = root / rel
        line = merge_conflicts.marker_line(path) if path.is_file() else None
        if rel in twice:  # not lines to choose: two people
            problems.append(Problem(path, line or 1, twice[rel]))
        elif line is not None:
            problems.append(Problem(path, line, markers_message()))
        elif replayed and stages in DECISIONS:  # git's sides the other way round, and no merge to finish
            problems.append(Problem(path, 1, replay_stopped.file_text()))
        else:
            problems.append(Problem(path, 1, describe_unmerged(
                rel, stages, moved.get(rel), whole=_whole(root, rel, stuck),
                reid=(moved.get(rel), customer_of(rel)) in reids, placed_from=placed.get(rel),
                merged_to=away.get(rel))))
        if rel in both:
            problems.append(Problem(path, 1, _both_ways_text(both[rel])))
    return problems


def to_edit(root: Path) -> list[str]:
    """Unmerged files whose fix is an edit (lines both clones changed, git's conflict markers), not
    a decision (:func:`undecided`): each ``path:line: what to do``."""
    stuck = unmerged(root)
    twice = given_one_id_stuck(root, stuck)
    return [f"{rel}:{merge_conflicts.marker_line(root / rel) or 1}: {markers_message()}"
            for rel, stages in sorted(stuck.items()) if stages not in DECISIONS and rel not in twice]


def undecided(root: Path, merge: OpenMerge | None = None) -> list[str]:
    """Unmerged files whose fix is a decision (keep or delete), not an edit: their lines, then
    a line for each customer merged each into another (:func:`merged_both_ways`)."""
    stuck = unmerged(root)
    merge = merge or OpenMerge(root)
    moved = moved_between_customers(merge, stuck)
    reids = given_new_ids(merge) if moved else set()
    placed = placed_by_merge(merge, stuck)
    away = merged_away(merge, stuck)
    lines = [f"{rel}:1: " + describe_unmerged(rel, stages, moved.get(rel), whole=_whole(root, rel, stuck),
                                              reid=(moved.get(rel), customer_of(rel)) in reids,
                                              placed_from=placed.get(rel), merged_to=away.get(rel))
             for rel, stages in sorted(stuck.items()) if stages in DECISIONS]
    both = merged_both_ways(root, stuck)
    twice = [f"{rel}:1: {text}" for rel, text in sorted(given_one_id_stuck(root, stuck).items())]
    return twice + lines + [f"{rel}:1: {_both_ways_text(other)}" for rel, other in sorted(both.items())]
