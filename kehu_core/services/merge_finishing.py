"""Finishing a merge an earlier ``kehu sync`` stopped, once the person has decided: what it
waits for (:func:`waiting`, asked by ``kehu check`` and the TUI), and :func:`finish_merge`,
which commits it — a customer kept in full or deleted in full, never a profile without its
purchases, and the records and ledger entries following a customer merged away.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import Problem
from ..i18n import _
from ..store import CUSTOMER_FILE, Store
from . import gitops, merge_conflicts, sync_guard
from .merge_settling import customer_files, join_respelled_entries
from .merged_ledgers import drop_entries_taken_back, entry_of
from .sync_guard import SyncError
from .unmerged_files import (
    OpenMerge,
    given_one_id_stuck,
    kept_by_merge,
    merged_into,
    moved_by_merge,
    undecided,
    unmerged,
    unmerged_problems,
)

if TYPE_CHECKING:
    from .sync_settled_files import MergeAgain


def waiting(store: Store) -> list[Problem]:
    """What a merge left for a person, as ``kehu check`` words it: files git left unmerged and
    every ``conflicts:`` entry (profiles and interactions). Answered from the index and git's
    own index, without reading the records: the TUI asks it at start and after every sync."""
    problems = unmerged_problems(store.root)
    index = store.index
    for _cid, rel in index.customers_with_conflicts():
        customer = store.read_customer_file(store.root / rel)
        problems.extend(merge_conflicts.conflict_problems(store.root / rel, customer))
    for cid, iid, record in index.interactions_with_conflicts():
        path = store.interactions_dir(cid) / f"{iid}.yaml"
        problems.extend(merge_conflicts.entry_problems(path, None, record["conflicts"]))
    return problems


def finish_merge(store: Store) -> tuple[str, list[MergeAgain]]:
    """Commit a merge stopped by an earlier sync once the user has fixed its files; refuses
    while a file still has conflict markers or a keep-or-delete decision is not taken. Returns
    what was done, and the customers changed on one side and merged away on the other whose
    profiles it kept, for the caller to merge into the customers kept once the merge is followed
    up (``sync_settled_files.merge_again``)."""
    root = store.root
    stuck = unmerged(root)
    if given_one_id_stuck(root, stuck):  # two people, not lines to choose: the merge is to be undone first
        sync_guard.refuse_given_one_id_waiting(root)
    redone = merge_again_by_field(root, list(stuck))
    for rel in [*stuck, *(p for _state, p in gitops.status(root))]:
        path = root / rel
        line = merge_conflicts.marker_line(path) if path.is_file() else None
        if line is not None:
            raise SyncError(_("{path}:{line}: still has git conflict markers; keep the right lines, delete the "
                "markers, then run `kehu sync` again").format(
                path=path, line=line))
    merge = OpenMerge(root)  # its base asked of git once, for every question below
    # what the sync's own merge keeps (a record git placed under the customer kept, a ledger of
    # one merged away: deleting them only loses a sale) is kept in a merge made by hand too
    from .sync_settled_files import keep_edited_merged_away, keep_placed_by_merge

    keep_edited_merged_away(store)  # a profile changed here, merged away there: kept, merged in again after
    _kept, placed = keep_placed_by_merge(store)
    waiting = undecided(root, merge) or deleted_both_ways(merge)
    if waiting:
        raise SyncError(_("a merge is waiting for a decision, nothing was pushed:"), *waiting)
    gitops.run(root, "add", "-A", ".")  # the user edited the files; no need to `git add` them
    again = kept_merged_away(store, merge)
    settled = (placed + settle_deleted_customers(merge, {a.other for a in again}) + settle_moved_records(merge)
               + settle_kept_records(merge))
    gitops.run(root, "commit", "-q", "--no-edit")
    # the ledgers as a merge the sync makes settles them: an entry one clone took back (`kehu undo`
    # of a redemption) that git's union brought back goes again (it was pushed, its points spent
    # again), and one entry written two ways is kept once
    settled += drop_entries_taken_back(root)
    settled += join_respelled_entries(root, gitops.changed_paths(root, "HEAD^1", "HEAD"))
    note = "finished the merge left open by the last sync"
    if redone:
        settled.insert(0, _("{count} file(s) git had merged line by line (this clone had no kehu merge driver "
                            "then) merged again field by field").format(count=len(redone)))
    if settled:
        note += "; " + "; ".join(settled)
    return note, again


def kept_merged_away(store: Store, merge: OpenMerge) -> list[MergeAgain]:
    """The profiles a merge keeps, as one side changed them (kept by the person, or by
    ``sync_settled_files.keep_edited_merged_away``), of customers the other side merged into
    another kept here (not two merged each into the other): each to merge into that customer
    again, the change carried over or named. Kept whole, the customer stood again beside the one
    it was merged into; deleted, the change was lost."""
    from .sync_settled_files import MergeAgain, edited_fields, merged_again_said, settled_fields

    root, base = merge.root, merge.base
    listed, one_sided = _kept_on_one_side(merge)
    ids = {rel.rsplit("/", 2)[-2] for rel, _keeper in one_sided}
    known = set(customer_files(root, base)) if one_sided and base is not None else set()
    again = []
    for rel, keeper in one_sided:
        cid = rel.rsplit("/", 2)[-2]
        if not (root / rel).is_file():
            continue
        keep = kept_by_merge(merge, side_rev(merge, "MERGE_HEAD" if keeper == "HEAD" else "HEAD"), {cid}).get(cid)
        if keep is not None and keep not in ids:
            was = gitops.show(root, base or "", rel)
            # the records the changing side added to the folder, which git's rename put under KEEP
            folder = rel.rsplit("/", 1)[0] + "/"
            placed = sum(1 for f in listed[keeper] - known if f.startswith(folder + "interactions/")
                         and (store.customer_dir(keep) / f[len(folder):]).is_file())
            again.append(MergeAgain(cid, keep, merged_again_said(), edited_fields(store, was, root / rel), placed,
                                    settled_fields(store, was, root / rel)))
    return again


def merge_again_by_field(root: Path, stuck: list[str]) -> list[str]:
    """Files of a merge left open that git merged line by line, as kehu's merge driver merges
    by field (``merge=kehu`` in .gitattributes): merged again by the driver (``git checkout -m``),
    which ``kehu sync`` has set up meanwhile. A clone made by hand (``git clone``) has no driver
    until kehu runs there, and a ``git pull`` before that left conflict markers where two
    tags were added, or two payments taken, and the sync asked the person to edit YAML's lines.
    Only a file still as git's merge left it (nobody began choosing its lines): each one's text
    is compared with git's line merge of its three versions. The paths merged again."""
    import tempfile

    if not stuck or not gitops.run(root, "config", "--get", "merge.kehu.driver", check=False).stdout.strip():
        return []
    attrs = gitops.run(root, "check-attr", "-z", "merge", "--", *stuck, check=False).stdout.split("\0")
    kehus = [rel for rel, _attr, value in zip(attrs[0::3], attrs[1::3], attrs[2::3], strict=False) if value == "kehu"]
    style = gitops.run(root, "config", "--get", "merge.conflictStyle", check=False).stdout.strip()
    flags = {"diff3": ["--diff3"], "zdiff3": ["--zdiff3"]}.get(style, [])
    again = []
    with tempfile.TemporaryDirectory(prefix=".kehu-merge-") as folder:
        for rel in kehus:
            path = root / rel
            sides = [gitops.show(root, f":{n}", rel) for n in "123"]
            if sides[1] is None or sides[2] is None or merge_conflicts.marker_line(path) is None:
                continue
            files = []
            for name, text in zip(("base", "ours", "theirs"), sides, strict=True):
                files.append(Path(folder) / name)
                files[-1].write_text(text or "", encoding="utf-8")
            line_merge = gitops.run(root, "merge-file", "-p", *flags, str(files[1]), str(files[0]), str(files[2]),
                                    check=False).stdout
            if _as_chosen(line_merge) == _as_chosen(path.read_text(encoding="utf-8", errors="replace")):
                again.append(rel)
    if again:
        gitops.run(root, "checkout", "-m", "--", *again, check=False)
    return [rel for rel in again if merge_conflicts.marker_line(root / rel) is None]


def _as_chosen(text: str) -> list[str]:
    """A text with git's conflict markers, as far as a person's choice goes: the markers' labels
    (which name the commits) and the common version (``diff3``) left out."""
    out, in_base = [], False
    for line in text.splitlines():
        if line.startswith("|||||||"):
            in_base = True
        elif line.startswith("======="):
            in_base = False
            out.append("=======")
        elif not in_base:
            out.append(line[:7] if line.startswith(("<<<<<<<", ">>>>>>>")) else line)
    return out


def deleted_both_ways(merge: OpenMerge) -> list[str]:
    """Two customers merged each into the other (:func:`merged_both_ways`), both deleted when
    the sync asked: each clone moved the purchases of one into the other, so deleting both
    loses both customers with everything they bought. A line for each such pair, saying how to
    put one back; none once either is kept."""
    root = merge.root
    kept: dict[str, tuple[str, str, set[str]]] = {}  # id -> (the side that kept it, its profile, merged ids)
    for rel, side in _kept_on_one_side(merge)[1]:
        kept[rel.rsplit("/", 2)[-2]] = (side, rel, _merged_ids(root, side, rel))
    lines = []
    for cid, (side, rel, ids) in sorted(kept.items()):
        for other in sorted(ids):
            if other <= cid or other not in kept or cid not in kept[other][2]:
                continue
            other_side, other_rel, _ids = kept[other]
            if (root / rel).exists() or (root / other_rel).exists():
                continue  # one of the two is kept: nothing lost
            lines.append(f"{rel}:1: " + _(
                "this customer and {other} were merged each into the other, and both are deleted: "
                "each took the other's purchases with it, so all of them would be lost. Keep one: "
                "`git checkout {side} -- {folder}` or `git checkout {other_side} -- {other_folder}`, "
                "then `kehu sync`").format(other=other, side=side, folder=rel.rsplit("/", 1)[0],
                                           other_side=other_side, other_folder=other_rel.rsplit("/", 1)[0]))
    return lines


def _merged_ids(root: Path, rev: str, rel: str) -> set[str]:
    """The customers merged into a profile as ``rev`` has it."""
    import yaml

    from ..yamlio import FastLoader

    try:
        data = yaml.load(gitops.run(root, "show", f"{rev}:{rel}", check=False).stdout,
                         Loader=FastLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return set()
    return merged_into(data)


def settle_deleted_customers(merge: OpenMerge, merged_again: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """A customer deleted in one clone and edited in the other is, as the user decided, kept
    whole (every file of its folder as the side that kept it has it) or deleted whole (no
    purchases, ledgers or interactions left without their profile). Stages what it does. One
    of ``merged_again`` (:func:`kept_merged_away`) is staged as it is: it goes into another."""
    root = merge.root
    listed, one_sided = _kept_on_one_side(merge)
    done = []
    for rel, keeper in one_sided:
        folder = rel.rsplit("/", 1)[0]
        if rel.rsplit("/", 2)[-2] in merged_again:
            gitops.run(root, "add", "-A", "--", folder)
        elif (root / rel).is_file():
            # the files the deleting side took away come back; what the user edited stays
            missing = [f for f in sorted(listed[keeper]) if f.startswith(f"{folder}/")
                       and not (root / f).exists()]
            if missing:
                gitops.run(root, "checkout", keeper, "--", *missing)
            gitops.run(root, "add", "-A", "--", folder)
            done.append(f"kept {folder} whole")
        elif (root / folder).is_dir() and any((root / folder).iterdir()) and _merged_away(merge, rel, keeper):
            # merged into another by the deleting side (`kehu customer merge`): what the person kept
            # of it (a ledger with a redemption) follows it there once committed
            # (sync_merged_away.follow_up_hand_merge); deleted whole, it was lost
            gitops.run(root, "add", "-A", "--", folder)
        else:
            gitops.run(root, "rm", "-r", "-q", "-f", "--ignore-unmatch", "--", folder)  # staged files too: decided
            _remove_tree(root / folder)
            done.append(f"deleted {folder} whole")
    return done


def _merged_away(merge: OpenMerge, profile: str, keeper: str) -> bool:
    """Whether the side that deleted ``profile`` (the one that is not ``keeper``) merged its
    customer into another it kept (``also_known`` of a profile it changed since the base)."""
    deleter = "MERGE_HEAD" if keeper == "HEAD" else "HEAD"
    cid = profile.rsplit("/", 2)[-2]
    return cid in kept_by_merge(merge, deleter, {cid})


def settle_kept_records(merge: OpenMerge) -> list[str]:
    """A record (a purchase, a complaint) changed in one clone and deleted in the other (``kehu
    undo`` of a sale there, a payment taken on it here), its customer kept by both, that the
    person kept (``git add``) when the sync asked: the ledger entries naming it (``ref``: the
    sale's points) that the deleting side took out with it come back, each after the entry it
    followed. Git had merged the ledgers' change cleanly, so the sale stood, paid, without the
    points it earned, ``kehu check`` ok. Stages what it does."""
    from ..store import LEDGER_SUFFIX
    from ..yamlio.atomic import atomic_write

    root, base = merge.root, merge.base
    if base is None:
        return []
    listed, _one_sided = _kept_on_one_side(merge)
    kept: dict[str, dict[str, str]] = {}  # customer folder -> {record id: the side that deleted it}
    dropped: dict[str, set[str]] = {}  # customer folder -> ids of the records deleted so
    for rel in customer_files(root, base):
        folder, _slash, name = rel.rpartition("/interactions/")
        in_ours, in_theirs = rel in listed["HEAD"], rel in listed["MERGE_HEAD"]
        profile = f"{folder}/{CUSTOMER_FILE}"
        if (not name.endswith(".yaml") or in_ours == in_theirs
                or not (profile in listed["HEAD"] and profile in listed["MERGE_HEAD"])):
            continue  # not a record deleted on one side only, or its customer deleted
        if not (root / rel).is_file():
            dropped.setdefault(folder, set()).add(name.removesuffix(".yaml"))
            continue
        kept.setdefault(folder, {})[name.removesuffix(".yaml")] = "MERGE_HEAD" if in_ours else "HEAD"
    done = []
    for folder, records in sorted(kept.items()):
        for rel in sorted(f for f in customer_files(root, base) if f.startswith(f"{folder}/")
                          and f.count("/") == folder.count("/") + 1 and f.endswith(LEDGER_SUFFIX)):
            path = root / rel
            was = (gitops.show(root, base, rel) or "").splitlines(keepends=True)
            lines = (path.read_text(encoding="utf-8").splitlines(keepends=True) if path.is_file()
                     else [line for n, line in enumerate(was, 1) if entry_of(path, n, line) is None])  # its header
            deleted_by = {side: (gitops.show(root, side, rel) or "") for side in set(records.values())}
            back = 0
            for n, line in enumerate(was, 1):
                entry = entry_of(path, n, line)
                if (entry is None or entry.get("ref") not in records or line in lines
                        or line in deleted_by[records[entry["ref"]]].splitlines(keepends=True)):
                    continue  # not the kept record's, still there, or not taken out with it
                before = next((lines.index(prev) + 1 for prev in reversed(was[: n - 1]) if prev in lines), 0)
                lines.insert(before, line if line.endswith("\n") else line + "\n")
                back += 1
            if back:
                atomic_write(path, "".join(lines))
                gitops.run(root, "add", "--", rel)
                done.append(f"{rel}: {back} entries of the records kept put back")
    for folder, refs in sorted(dropped.items()):  # deleted: the entries naming them go too
        for ledger in sorted((root / folder).glob(f"*{LEDGER_SUFFIX}")):
            if ledger.is_symlink() or not ledger.is_file():
                continue
            lines = ledger.read_text(encoding="utf-8").splitlines(keepends=True)
            left = [line for n, line in enumerate(lines, 1)
                    if (entry := entry_of(ledger, n, line)) is None or entry.get("ref") not in refs]
            if len(left) < len(lines):
                atomic_write(ledger, "".join(left))
                gitops.run(root, "add", "--", str(ledger.relative_to(root)))
                done.append(f"{ledger.relative_to(root)}: {len(lines) - len(left)} entries of the records "
                            "deleted taken out")
    return done


def settle_moved_records(merge: OpenMerge) -> list[str]:
    """Records ``kehu customer merge`` moved to the customer kept on one side, deleted with the
    merged customer on the other, that the person deleted (``git rm``) when the sync asked
    (:func:`~kehu_core.services.unmerged_files.moved_by_merge`): the ledger entries
    naming them in their new customer's ledgers (a purchase's points, moved by the same merge)
    go with them, as they go with a customer deleted whole. Kept, each would name a purchase
    that is not there, which ``kehu check`` rejects. Stages what it does."""
    from ..store import LEDGER_SUFFIX
    from ..yamlio.atomic import atomic_write

    root = merge.root
    gone: dict[str, set[str]] = {}  # customer folder -> ids of its records deleted so
    for side in ("HEAD", "MERGE_HEAD"):
        for rel in moved_by_merge(merge, side):
            folder, _slash, name = rel.rpartition("/interactions/")
            if name.endswith(".yaml") and not (root / rel).exists():
                gone.setdefault(folder, set()).add(name.removesuffix(".yaml"))
    done = []
    for folder, refs in sorted(gone.items()):
        for ledger in sorted((root / folder).glob(f"*{LEDGER_SUFFIX}")):
            lines = ledger.read_text(encoding="utf-8").splitlines(keepends=True)
            kept = [line for n, line in enumerate(lines, 1)
                    if (entry := entry_of(ledger, n, line)) is None or entry.get("ref") not in refs]
            if len(kept) < len(lines):
                atomic_write(ledger, "".join(kept))
                gitops.run(root, "add", "--", ledger.relative_to(root).as_posix())
                done.append(f"took {len(lines) - len(kept)} entries about them out of "
                            f"{ledger.relative_to(root).as_posix()}")
    return done


def _kept_on_one_side(merge: OpenMerge) -> tuple[dict[str, set[str]], list[tuple[str, str]]]:
    """During a merge: the files under customers/ of HEAD and MERGE_HEAD, and each profile
    of their merge base that one side deleted and the other kept, with the side that kept it
    (``HEAD`` or ``MERGE_HEAD``), sorted. Nothing outside a merge."""
    root, base = merge.root, merge.base
    if base is None:
        return {}, []
    listed = {side: set(customer_files(root, side_rev(merge, side))) for side in ("HEAD", "MERGE_HEAD")}
    one_sided = []
    for rel in sorted(customer_files(root, base)):
        in_ours, in_theirs = rel in listed["HEAD"], rel in listed["MERGE_HEAD"]
        if rel.endswith(f"/{CUSTOMER_FILE}") and in_ours != in_theirs:  # else nothing to decide
            one_sided.append((rel, "HEAD" if in_ours else "MERGE_HEAD"))
    return listed, one_sided


def side_rev(merge: OpenMerge, side: str) -> str:
    """The commit of a merge's ``side`` (``HEAD`` or ``MERGE_HEAD``): a merge committed already
    (:class:`.merge_committed.CommittedMerge`) names its parents."""
    return getattr(merge, "sides", {}).get(side, side)


def _remove_tree(folder: Path) -> None:
    import shutil

    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder, ignore_errors=True)
