"""What keeps ``kehu sync`` from spreading a broken store or leaving a clone half-synced.

* :class:`RestorePoint` — the clone as it was before the sync: a sync that cannot finish (the
  remote unreachable, push races lost too often, a merge that check rejects) puts the clone
  back, the user's edits uncommitted as they were.
* :func:`refuse_branch_gone` — the branch a clone followed renamed or deleted on the remote: not
  pushed back beside the team's new one.
* :func:`finish_merge` — a merge stopped by an earlier sync, finished once the user decided;
  a customer kept in full or deleted in full, never a profile without its purchases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from ..errors import KehuError, Problem
from ..i18n import _
from ..store import CUSTOMER_FILE, CUSTOMERS_DIR, Store
from . import gitops, merge_conflicts
from .merged_ledgers import drop_entries_taken_back, entry_of
from .unmerged_files import (
    DELETED_BY_THEM,
    DELETED_BY_US,
    OpenMerge,
    customer_of,
    given_one_id_stuck,
    given_one_id_text,
    merged_into,
    moved_by_merge,
    undecided,
    unmerged,
    unmerged_problems,
)


class SyncError(KehuError):
    """Sync stopped; the message says what was already done and what to do next."""


def is_conflict(problem: Problem) -> bool:
    """A field changed two ways, kept under ``conflicts:`` by kehu's merge driver."""
    return problem.message.startswith(merge_conflicts.CONFLICT_PREFIX)


def listing(problems: list[Problem], root: Path, most: int = 10) -> str:
    lines = [_relative(p, root).render() for p in problems[:most]]
    if len(problems) > most:
        lines.append(f"... and {len(problems) - most} more (`kehu check` lists them all)")
    return "\n".join(lines)


def _relative(problem: Problem, root: Path) -> Problem:
    try:
        return Problem(Path(problem.path).relative_to(root), problem.line, problem.message)
    except ValueError:
        return problem


# --- going back ---------------------------------------------------------------------------------


@dataclass
class RestorePoint:
    """HEAD before the sync and the commit the sync made of the user's edits (if any)."""

    root: Path
    start: str | None
    committed: str | None = None

    def restore(self) -> None:
        """The clone as before the sync: HEAD, no merge under way, the user's edits back in the
        working tree uncommitted (files the sync's commit added are untracked again)."""
        if self.start is None:  # an unborn branch: nothing to go back to but the files
            return
        gitops.run(self.root, "merge", "--abort", check=False)
        gitops.run(self.root, "reset", "-q", "--hard", self.committed or self.start)
        if self.committed:
            gitops.run(self.root, "reset", "-q", self.start)


def added_in_both(root: Path, ref: str) -> list[str]:
    """The profiles (relative) that this clone (HEAD) and ``ref`` each added since their merge
    base as two customers given one id (``profile_merge.given_one_id``, the rule kehu's merge
    driver keeps too): two reps numbering their new customers by hand, each taking the next
    number. With no common version, kehu's driver joined the two into one customer, both
    people's phones and sales under one profile, exit 0."""
    from .profile_merge import given_one_id

    base = gitops.run(root, "merge-base", "HEAD", ref, check=False).stdout.strip()
    if not base:
        return []
    added = []
    for rev in ("HEAD", ref):
        out = gitops.run(root, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=A", base, rev,
                         "--", CUSTOMERS_DIR, check=False).stdout
        added.append({rel for rel in out.split("\0") if rel.endswith(f"/{CUSTOMER_FILE}")})
    return [rel for rel in sorted(added[0] & added[1])
            if given_one_id("", gitops.show(root, "HEAD", rel) or "", gitops.show(root, ref, rel) or "")]


def refuse_added_in_both(point: RestorePoint, ref: str, label: str, profiles: list[str]) -> NoReturn:
    """Stop a sync whose merge would join two customers given one id (:func:`added_in_both`):
    the clone as it was, each profile named as this clone and ``label`` hold it, and the way
    on (``unmerged_files.given_one_id_text``)."""
    root = point.root
    lines = []
    for rel in profiles:
        said = given_one_id_text(customer_of(rel) or rel, gitops.show(root, "HEAD", rel),
                                 gitops.show(root, ref, rel), merging=False)
        lines.append(_("  this clone's {path} and {label}:{path}: {said}").format(
            path=rel, label=label, said=said))
    point.restore()
    raise SyncError(_(
        "merging {label} stopped: {count} customer id(s) were added in this clone and in {label} as different "
        "customers. Nothing was changed in this clone (your edits are still there, uncommitted):").format(
            label=label, count=len(profiles))
        + "\n" + "\n".join(lines))


def one_person_twice(root: Path, before: str, ref: str, label: str) -> list[str]:
    """After a merge of ``ref`` into ``before`` (this clone's side), committed and checked: each
    customer one side added or changed since their merge base who shares a phone or an email
    (the rule of :func:`.dedupe.contact_keys`, by which ``customer add`` refuses a second record
    of one person) with one the other side added or changed. Neither clone could see the
    other's, so the merge left two records of one person without a word. One line each, naming
    both and the way to join them (``kehu customer merge``); the merged profiles are read."""
    from .dedupe import Match, contact_keys
    from .sync_messages import _load_path  # a profile as the merge left it; {} if it does not parse

    base = gitops.run(root, "merge-base", before, ref, check=False).stdout.strip()
    if not base:
        return []
    sides: list[dict[str, tuple[dict, list[str]]]] = []
    for rev in (before, ref):
        out = gitops.run(root, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=AM", base, rev,
                         "--", CUSTOMERS_DIR, check=False).stdout
        keyed = {}
        for rel in out.split("\0"):
            if rel.endswith(f"/{CUSTOMER_FILE}") and (data := _load_path(root / rel)):
                keyed[rel] = (data, contact_keys(data.get("phones") or [], data.get("emails") or []))
        sides.append(keyed)
    ours, theirs = sides
    mine_by_key: dict[str, list[str]] = {}
    for rel, (_data, keys) in sorted(ours.items()):
        for key in keys:
            mine_by_key.setdefault(key, []).append(rel)
    lines = []
    for rel, (data, keys) in sorted(theirs.items()):
        shared: dict[str, list[str]] = {}
        for key in keys:
            for other in mine_by_key.get(key, []):
                if other != rel and key not in shared.setdefault(other, []):
                    shared[other].append(key)
        for other, matched in shared.items():
            mine = ours[other][0]
            match = Match(str(mine.get("id")), str(mine.get("name")), matched)
            lines.append(_("{name} ({id}) of {label} and this clone's {match}: likely one customer, each clone "
                           "adding them; `kehu duplicates` lists them, `kehu customer merge KEEP OTHER` joins "
                           "them").format(name=data.get("name"), id=data.get("id"), label=label,
                                          match=match.describe()))
    return lines


#: the subject of the commit `kehu handover` makes (kehu_core/cli/git_cmds.py), in one language
_HANDOVER = re.compile(r"^handover: \d+ customers of (.+?) to (.+)$")


def handed_over_meanwhile(root: Path, before: str, ref: str, label: str) -> list[str]:
    """After a merge of ``ref`` into ``before`` (this clone's side): the customers one side added
    or gave (``owner``) to a rep whose customers the other side handed to another
    (``kehu handover``, whose commit says so) since their merge base. The hand-over covered the
    customers its clone had; those stayed with a rep who has left, without a word. One line per
    hand-over, naming them and the ``kehu handover`` that gives them too."""
    from .sync_messages import _load, _load_path  # a profile as a commit holds it, as the merge left it

    base = gitops.run(root, "merge-base", before, ref, check=False).stdout.strip()
    if not base:
        return []
    lines = []
    for handing, other, where in ((ref, before, _("this clone")), (before, ref, label)):
        subjects = gitops.run(root, "log", "--format=%s", f"{base}..{handing}", check=False).stdout.splitlines()
        handed = dict(m.groups() for m in map(_HANDOVER.match, reversed(subjects)) if m)
        if not handed:
            continue
        out = gitops.run(root, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=AM", base, other,
                         "--", CUSTOMERS_DIR, check=False).stdout
        left: dict[str, list[str]] = {}
        for rel in out.split("\0"):
            if not rel.endswith(f"/{CUSTOMER_FILE}"):
                continue
            data = _load_path(root / rel)
            was = _load(gitops.show(root, base, rel)) if data else {}
            owner = data.get("owner")
            if owner in handed and was.get("owner") != owner:  # given to that rep there, not only edited
                left.setdefault(owner, []).append(f"{data.get('name')} ({data.get('id')})")
        for rep, names in sorted(left.items()):
            lines.append(_("{count} customer(s) added or given to {rep} in {where} while {rep}'s customers were "
                           "handed to {to}: {names}; `kehu handover {rep} {to}` gives them too").format(
                count=len(names), rep=rep, where=where, to=handed[rep], names=", ".join(sorted(names))))
    return lines


def refuse_branch_gone(point: RestorePoint, remote: str, branch: str, others: list[str],
                       kept: str) -> None:
    """The branch this clone followed was renamed or deleted on the remote since the last sync:
    pushing would bring it back, and this clone's customers would go where the rest of the team,
    on the branch it renamed it to, never looks. A person says which branch to follow. A remote
    with no branch at all (a new, empty one) is filled as on a first sync."""
    if not others:
        return
    point.restore()
    raise SyncError(_("the remote {remote} has no branch {branch} any more (renamed or deleted there since "
        "the last sync); it has: {others}. Nothing was pushed, so that it does not come back beside "
        "them. Follow the team's branch with `git branch -u {remote}/{first}`, then run `kehu sync` "
        "again. {kept}").format(remote=remote, branch=branch, others=", ".join(others),
                                first=others[0], kept=kept))


# --- unmerged files -------------------------------------------------------------------------


def links_brought(label: str, links: list[Problem], root: Path, kept: str) -> SyncError:
    """What a sync says when the merge of ``label`` would bring symbolic links, committed in
    another clone with plain git (kehu writes none). Every clone's sync stops on them until
    they are removed from the shared history, so "run kehu sync again" cannot help."""
    return SyncError(_(
        "merging {label} would bring {count} symbolic link(s), committed in another clone with plain git; "
        "kehu never follows a link in a store, so nothing was pushed, and every clone's sync stops here "
        "until they are removed. Remove them in the clone that committed them (`git rm <path>`, "
        "`git commit`, `git push`), or in this clone: `git merge {label}`, `git rm <path>` for each link, "
        "`git commit`, then `kehu sync`. {kept}. The links:").format(
            label=label, count=len(links), kept=kept) + "\n" + listing(links, root))


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


# --- finishing a merge the user fixed -------------------------------------------------------


def finish_merge(store: Store) -> str:
    """Commit a merge stopped by an earlier sync once the user has fixed its files; refuses
    while a file still has conflict markers or a keep-or-delete decision is not taken."""
    root = store.root
    stuck = unmerged(root)
    twice = given_one_id_stuck(root, stuck)  # two people, not lines to choose: said below
    redone = merge_again_by_field(root, [rel for rel in stuck if rel not in twice])
    for rel in [*stuck, *(p for _state, p in gitops.status(root))]:
        if rel in twice:
            continue
        path = root / rel
        line = merge_conflicts.marker_line(path) if path.is_file() else None
        if line is not None:
            raise SyncError(_("{path}:{line}: still has git conflict markers; keep the right lines, delete the "
                "markers, then run `kehu sync` again").format(
                path=path, line=line))
    merge = OpenMerge(root)  # its base asked of git once, for every question below
    waiting = undecided(root, merge) or deleted_both_ways(merge)
    if waiting:
        raise SyncError(_("a merge is waiting for a decision, nothing was pushed:") + "\n" + "\n".join(waiting))
    gitops.run(root, "add", "-A", ".")  # the user edited the files; no need to `git add` them
    settled = settle_deleted_customers(merge) + settle_moved_records(merge) + settle_kept_records(merge)
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
    return note


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


def settle_deleted_customers(merge: OpenMerge) -> list[str]:
    """A customer deleted in one clone and edited in the other is, as the user decided, kept
    whole (every file of its folder as the side that kept it has it) or deleted whole (no
    purchases, ledgers or interactions left without their profile). Stages what it does."""
    root = merge.root
    listed, one_sided = _kept_on_one_side(merge)
    done = []
    for rel, keeper in one_sided:
        folder = rel.rsplit("/", 1)[0]
        if (root / rel).is_file():
            # the files the deleting side took away come back; what the user edited stays
            missing = [f for f in sorted(listed[keeper]) if f.startswith(f"{folder}/")
                       and not (root / f).exists()]
            if missing:
                gitops.run(root, "checkout", keeper, "--", *missing)
            gitops.run(root, "add", "-A", "--", folder)
            done.append(f"kept {folder} whole")
        else:
            gitops.run(root, "rm", "-r", "-q", "-f", "--ignore-unmatch", "--", folder)  # staged files too: decided
            _remove_tree(root / folder)
            done.append(f"deleted {folder} whole")
    return done


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


def settle_plans(root: Path, stuck: list[str]) -> list[str]:
    """A rep's visit plan of one day changed in one clone and deleted in the other (the day's
    changes taken back, ``kehu visits plan --reset``), which git stops on without asking
    kehu's driver: merged as the driver merges a plan (:func:`planfile.merged_text`), what
    the keeping side added kept, and staged. Plans both sides changed are the driver's; a side
    that is no plan stays for a person. Returns the paths it settled."""
    from ..paths import PLANS_DIR
    from ..visits import planfile
    from ..yamlio import YamlFileError, read_text
    from ..yamlio.atomic import atomic_write

    settled = []
    for rel in stuck:
        parts = rel.split("/")
        if len(parts) != 3 or parts[0] != PLANS_DIR or not planfile._PLAN_NAME.fullmatch(parts[2]):
            continue
        staged = gitops.run(root, "ls-files", "-u", "-z", "--", rel, check=False).stdout
        stages = {int(entry.split("\t", 1)[0].split()[2]) for entry in staged.split("\0") if entry}
        if len(stages & {2, 3}) != 1 or 1 not in stages:
            continue
        base = gitops.run(root, "show", f":1:{rel}", check=False).stdout
        try:  # the kept side as git left it here, with its line ends (git's text here has LF)
            text = planfile.merged_text(base, read_text(root / rel))
        except (ValueError, YamlFileError):  # no plan on one side, a link, no file: for a person
            continue
        if text is None:
            gitops.run(root, "rm", "-q", "-f", "--", rel)
        else:
            atomic_write(root / rel, text)
            gitops.run(root, "add", "--", rel)
        settled.append(rel)
    return settled


def settle_ledgers(root: Path, stuck: list[str]) -> list[str]:
    """A customer's ledger changed in one clone (an entry appended: a sale's void) and deleted in
    the other (``kehu undo`` of the sale whose entry was the ledger's only one), which git stops
    on without its union merge: merged as that merge would, the deleting side's entries out and
    the keeping side's new ones kept (nothing but the header left: deleted), and staged. Its
    records are the person's to decide, their entries following (:func:`settle_kept_records`).
    Returns the paths it settled."""
    from ..store import LEDGER_SUFFIX
    from ..yamlio.atomic import atomic_write

    settled = []
    for rel in stuck:
        path = root / rel
        if (customer_of(rel) is None or not rel.endswith(LEDGER_SUFFIX) or "/interactions/" in rel
                or not path.is_file() or path.is_symlink()):
            continue
        staged = gitops.run(root, "ls-files", "-u", "-z", "--", rel, check=False).stdout
        stages = {entry.split("\t", 1)[0].split()[2] for entry in staged.split("\0") if entry}
        if frozenset(stages) not in (DELETED_BY_US, DELETED_BY_THEM):
            continue
        profile = f"{rel.rsplit('/', 1)[0]}/{CUSTOMER_FILE}"
        if any(gitops.run(root, "cat-file", "-e", f"{rev}:{profile}", check=False).returncode
               for rev in ("HEAD", "MERGE_HEAD")):
            continue  # its customer deleted (or merged away) on one side: decided whole, by a person
        base = set((gitops.show(root, ":1", rel) or "").splitlines())
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for n, line in enumerate(lines, 1)
                if entry_of(path, n, line) is None or line.rstrip("\r\n") not in base]
        if all(entry_of(path, n, line) is None for n, line in enumerate(kept, 1)):
            gitops.run(root, "rm", "-q", "-f", "--", rel)
        else:
            atomic_write(path, "".join(kept))
            gitops.run(root, "add", "--", rel)
        settled.append(rel)
    return settled


def join_respelled_entries(root: Path, changed: list[str]) -> list[str]:
    """Ledger entries a merge holds twice, the same entry (its id, every value) written two ways:
    a colleague's commit rewrote a ledger's lines (CRLF line ends from an editor, other spacing)
    while this clone added to it, and git's union merge kept both spellings of every entry.
    Each such entry is kept once (its first line), the merge commit amended; ``kehu check``
    refused the merge ("is here twice, written two ways") in every clone adding to that
    ledger, until someone took the lines out by hand. Entries of one id with different values
    are not touched: a person decides those. Only a merge this sync made is amended (a
    fast-forward is the remote's own commit). Returns a note per ledger so joined."""
    import json

    from ..store import LEDGER_SUFFIX
    from ..yamlio.atomic import atomic_write

    ledgers = [rel for rel in changed if rel.endswith(LEDGER_SUFFIX)]
    if not ledgers or gitops.run(root, "rev-parse", "-q", "--verify", "HEAD^2", check=False).returncode:
        return []
    done = []
    for rel in ledgers:
        path = root / rel
        if path.is_symlink() or not path.is_file():
            continue
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)  # line ends as LF
        seen: dict[str, str] = {}  # id -> the entry's values, as text
        kept: list[str] = []
        for n, line in enumerate(lines, 1):
            entry = entry_of(path, n, line)
            if entry is not None and isinstance(entry.get("id"), str):
                values = json.dumps(entry, sort_keys=True, default=repr)
                if seen.get(entry["id"]) == values:
                    continue  # the same entry again, spelt otherwise
                seen.setdefault(entry["id"], values)
            kept.append(line)
        if len(kept) < len(lines):  # the rewrite's other spellings: its header comment too
            kept = [line for n, line in enumerate(kept) if line.startswith("- ") or line not in kept[:n]]
            atomic_write(path, "".join(kept))
            gitops.run(root, "add", "--", rel)
            done.append(_("{path}: {count} entries the merge held twice, written two ways (a commit "
                          "rewrote the ledger's lines), kept once").format(path=rel, count=len(lines) - len(kept)))
    if done:
        gitops.run(root, "commit", "-q", "--amend", "--no-edit", env={gitops.SKIP_HOOK: "1"})
    return done


def reopen_orphaned_customers(root: Path, ref: str) -> list[str]:
    """After a merge git finished alone: customers deleted in one clone (``kehu customer
    merge``) to whose folder the other clone added a file (a note, a visit) without changing
    the files it had. Git merged that cleanly, leaving the new file without its profile, which
    ``kehu check`` rejects, so every sync of both clones was undone again and again, neither
    able to move. Such a merge is made again uncommitted, each of those ``customer.yaml``
    marked unmerged (deleted on one side, kept on the other: stages 1 and 2 or 3) and put back
    in the working tree, so that ``kehu check``, the TUI and the next sync ask the person to
    keep the customer or delete it (:func:`settle_deleted_customers`, whole either way).
    Returns the profiles so marked (relative to ``root``)."""
    merged, ours = "HEAD", "HEAD^1"
    base = gitops.run(root, "merge-base", ours, ref, check=False).stdout.strip()
    if not base:
        return []
    orphaned = orphaned_profiles(root, base, merged)
    if not orphaned:
        return []
    theirs = set(customer_files(root, ref))
    keeper = {rel: "3" if rel in theirs else "2" for rel in orphaned}
    gitops.run(root, "reset", "-q", "--hard", ours)
    gitops.run(root, "merge", "--no-commit", "--no-ff", ref, check=False, env={gitops.SKIP_HOOK: "1"})
    prefix = gitops.run(root, "rev-parse", "--show-prefix").stdout.strip()
    lines = []
    for rel in orphaned:
        side = ref if keeper[rel] == "3" else ours
        gitops.run(root, "checkout", side, "--", rel)  # the profile as the keeping side has it
        blob = {rev: gitops.run(root, "rev-parse", f"{rev}:./{rel}").stdout.strip() for rev in (base, side)}
        lines += [f"0 {'0' * len(blob[base])} 0\t{prefix}{rel}",  # its stage 0 out, as git's own conflicts
                  f"100644 {blob[base]} 1\t{prefix}{rel}", f"100644 {blob[side]} {keeper[rel]}\t{prefix}{rel}"]
    gitops.run(root, "update-index", "--index-info", input="\n".join(lines) + "\n")
    return orphaned


def _kept_on_one_side(merge: OpenMerge) -> tuple[dict[str, set[str]], list[tuple[str, str]]]:
    """During a merge: the files under customers/ of HEAD and MERGE_HEAD, and each profile
    of their merge base that one side deleted and the other kept, with the side that kept it
    (``HEAD`` or ``MERGE_HEAD``), sorted. Nothing outside a merge."""
    root, base = merge.root, merge.base
    if base is None:
        return {}, []
    listed = {rev: set(customer_files(root, rev)) for rev in ("HEAD", "MERGE_HEAD")}
    one_sided = []
    for rel in sorted(customer_files(root, base)):
        in_ours, in_theirs = rel in listed["HEAD"], rel in listed["MERGE_HEAD"]
        if rel.endswith(f"/{CUSTOMER_FILE}") and in_ours != in_theirs:  # else nothing to decide
            one_sided.append((rel, "HEAD" if in_ours else "MERGE_HEAD"))
    return listed, one_sided


def orphaned_profiles(root: Path, base: str, merged: str) -> list[str]:
    """The profiles (relative) of ``base`` that ``merged`` no longer has while their folder
    still holds files there: a customer deleted (or merged away) on one side, a file added to
    its folder on the other, git's merge of the two leaving the file without its profile."""
    listed = {rev: set(customer_files(root, rev)) for rev in (base, merged)}
    orphaned = []
    for rel in sorted(listed[base]):
        folder = rel.rsplit("/", 1)[0] + "/"
        if (rel.endswith(f"/{CUSTOMER_FILE}") and rel not in listed[merged]
                and any(f.startswith(folder) for f in listed[merged])):
            orphaned.append(rel)
    return orphaned


def customer_files(root: Path, rev: str) -> list[str]:
    out = gitops.run(root, "ls-tree", "-r", "-z", "--name-only", rev, "--", CUSTOMERS_DIR,
                     check=False).stdout
    return [p for p in out.split("\0") if p]


def _remove_tree(folder: Path) -> None:
    import shutil

    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder, ignore_errors=True)
