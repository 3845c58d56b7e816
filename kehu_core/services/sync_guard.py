"""What keeps ``kehu sync`` from spreading a broken store or leaving a clone half-synced.

* :class:`RestorePoint` — the clone as it was before the sync: a sync that cannot finish (the
  remote unreachable, push races lost too often, a merge that check rejects) puts the clone
  back, the user's edits uncommitted as they were.
* :func:`refuse_branch_gone` — the branch a clone followed renamed or deleted on the remote: not
  pushed back beside the team's new one.
* the refusals before git's merge: a customer id added in both clones for two people, one
  person added twice, a hand-over meanwhile, links a merge would bring.

Finishing a merge the person decided is :mod:`.merge_finishing`'s; what a merge leaves that
the sync settles itself, :mod:`.merge_settling`'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from ..errors import KehuError, Problem
from ..i18n import _
from ..store import CUSTOMER_FILE, CUSTOMERS_DIR
from ..sync_marker import put_back
from . import gitops, merge_conflicts
from .unmerged_files import customer_of, given_one_id_text


class SyncError(KehuError):
    """Sync stopped; the message says what was already done and what to do next."""


def is_conflict(problem: Problem) -> bool:
    """A field changed two ways, kept under ``conflicts:`` by kehu's merge driver."""
    return problem.message.startswith(merge_conflicts.CONFLICT_PREFIX)


def listing(problems: list[Problem], root: Path, most: int = 10) -> list[str]:
    """The first ``most`` problems, a line each (a message's own line feed stays in its line:
    ``KehuError`` shows it escaped), and how many more."""
    lines = [_relative(p, root).render() for p in problems[:most]]
    if len(problems) > most:
        lines.append(f"... and {len(problems) - most} more (`kehu check` lists them all)")
    return lines


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
        put_back(self.root, self.start, self.committed)


def added_in_both(root: Path, ref: str) -> list[str]:
    """The profiles (relative) that this clone (HEAD) and ``ref`` each added since their merge
    base as two customers given one id (``merge_driver.given_one_id``, the rule kehu's merge
    driver keeps too): two reps numbering their new customers by hand, each taking the next
    number. With no common version, kehu's driver joined the two into one customer, both
    people's phones and sales under one profile, exit 0."""
    from .merge_driver import given_one_id

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
            label=label, count=len(profiles)),
        *lines)


def refuse_given_one_id_waiting(root: Path) -> None:
    """Stop a sync on a merge git left (begun by hand, `git pull`, a merge or a rebase; or the
    sync's own) that holds two customers given one id (``unmerged_files.given_one_id_stuck``):
    no keeping or deleting of files settles two people under one id, so the message opens with
    what it is and the way on (undo the merge, ``kehu customer reid``, ``kehu sync``), each such
    profile's line after it; the merge's other files are asked again when the sync merges again.
    It opened "a merge is waiting for a decision" (or "kehu check finds N problem(s)"), beside
    lines to `git add` or `git rm` now. Nothing happens when there is none."""
    from .unmerged_files import given_one_id_stuck, unmerged

    stuck = unmerged(root)
    twice = given_one_id_stuck(root, stuck) if stuck else {}
    if not twice:
        return
    said = _("git's merge is waiting on {count} customer id(s) added in this clone and in the other as two "
             "different customers, which no keeping or deleting of files settles; nothing was committed or pushed. "
             "Undo the merge (`git merge --abort`, or `git rebase --abort` while rebasing), give this clone's "
             "customer a new id with `kehu customer reid` as its line below says, then run `kehu sync`, which "
             "merges again").format(count=len(twice))
    others = len(stuck) - len(twice)
    if others:
        said += _(" and asks again about the {count} other file(s) git stopped on").format(count=others)
    raise SyncError(said + ":", *(f"{rel}:1: {text}" for rel, text in sorted(twice.items())))


def refuse_replay_stopped(root: Path, problems: list[Problem]) -> None:
    """Stop a sync in a clone where a rebase begun by hand stopped on unmerged files: the way on
    (undo it, `kehu sync`), then what ``kehu check`` finds (:mod:`.replay_stopped`). Nothing
    happens otherwise."""
    from .unmerged_files import unmerged

    if not gitops.replaying(root):
        return
    stuck = unmerged(root)
    if not stuck:
        return
    raise SyncError.of_lines(
        _("git's rebase (`git pull --rebase`, `git rebase`) stopped on {count} file(s) the two clones changed; "
          "kehu settles them in a merge, not while commits are replayed (a customer merged away in one clone "
          "and changed in the other follows into the one kept), so nothing was committed or pushed. Undo the "
          "rebase with `git rebase --abort` (your commits stay), then run `kehu sync`, which merges:\n"
          "{listing}"), count=len(stuck), listing=listing(problems, root))


def one_person_twice(root: Path, before: str, ref: str, label: str) -> list[str]:
    """After a merge of ``ref`` into ``before`` (this clone's side), committed and checked: each
    customer one side added or changed since their merge base who shares a phone or an email
    (the rule of :func:`.dedupe.contact_keys`, by which ``customer add`` refuses a second record
    of one person) with one the other side added or changed. Neither clone could see the
    other's, so the merge left two records of one person without a word. One line each, naming
    both and the way to join them (``kehu customer merge``); the merged profiles are read."""
    from .dedupe import Match, contact_keys
    from .sync_messages import mapping_at  # a profile as the merge left it; {} if it does not parse

    base = gitops.run(root, "merge-base", before, ref, check=False).stdout.strip()
    if not base:
        return []
    sides: list[dict[str, tuple[dict, list[str]]]] = []
    for rev in (before, ref):
        out = gitops.run(root, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=AM", base, rev,
                         "--", CUSTOMERS_DIR, check=False).stdout
        keyed = {}
        for rel in out.split("\0"):
            if rel.endswith(f"/{CUSTOMER_FILE}") and (data := mapping_at(root / rel)):
                keyed[rel] = (data, contact_keys(data.get("phones") or [], data.get("emails") or []))
        sides.append(keyed)
    ours, theirs = sides
    mine_by_key: dict[str, list[str]] = {}
    for rel, (_data, keys) in sorted(ours.items()):
        for key in keys:
            mine_by_key.setdefault(key, []).append(rel)
    lines = []
    named: set[tuple[str, str]] = set()
    for rel, (data, keys) in sorted(theirs.items()):
        shared: dict[str, list[str]] = {}
        for key in keys:
            for other in mine_by_key.get(key, []):
                if other != rel and key not in shared.setdefault(other, []):
                    shared[other].append(key)
        for other, matched in shared.items():
            mine = ours[other][0]
            named.add((str(data.get("id")), str(mine.get("id"))))
            match = Match(str(mine.get("id")), str(mine.get("name")), matched)
            lines.append(_("{name} ({id}) of {label} and this clone's {match}: likely one customer, each clone "
                           "adding them; `kehu duplicates` lists them, `kehu customer merge KEEP OTHER` joins "
                           "them").format(name=data.get("name"), id=data.get("id"), label=label,
                                          match=match.describe()))
    lines += _one_row_twice(root, base, before, ref, label, named)
    return lines + _one_card_twice(root, base, before, ref, label, named)


def _one_row_twice(root: Path, base: str, before: str, ref: str, label: str,
                   named: set[tuple[str, str]]) -> list[str]:
    """The customers (theirs, ours) each side's import made from one row of one sheet: a record
    each added since the merge base with the same ``imported_from`` row and content
    (:func:`.dedupe.imported_row`, the rule by which a merge keeps it once). Two reps
    importing the shop's sheet each in their clone before a sync made every customer of it
    twice; those with a phone or an email were named above, those with neither (a name and a
    sale) by nothing. One line per pair not named already, with the rows."""
    from ..models.interactions import parse_interaction
    from ..store import INTERACTIONS_DIR
    from .dedupe import imported_row
    from .sync_messages import mapping_at

    candidates = []  # each side's records under customers it added (an import's new customers)
    for rev in (before, ref):
        out = gitops.run(root, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=A", base, rev,
                         "--", CUSTOMERS_DIR, check=False).stdout.split("\0")
        added = {rel.rsplit("/", 1)[0] for rel in out if rel.endswith(f"/{CUSTOMER_FILE}")}
        candidates.append([parts for parts in (rel.split("/") for rel in out) if len(parts) == 5
                           and parts[3] == INTERACTIONS_DIR and parts[4].endswith(".yaml")
                           and "/".join(parts[:3]) in added])
    if not all(candidates):  # (most syncs: nothing to read)
        return []

    def rows_of(side: list[list[str]], only: set[str] | None) -> dict[object, tuple[str, str]]:
        """The row's key -> (customer's folder, row) of a side's records an import made; with
        ``only``, of those rows alone (the other side's: a big import on one side is not parsed
        whole for the few rows of the other)."""
        rows: dict[object, tuple[str, str]] = {}
        for parts in side:
            data = mapping_at(root.joinpath(*parts))  # as the merge left it: {} if gone or broken
            row = data.get("imported_from")
            if not row or only is not None and str(row) not in only:
                continue
            try:
                key = imported_row(parse_interaction({**data, "id": parts[4][:-5]}))
            except ValueError:  # (a record `kehu check` names)
                continue
            rows.setdefault(key, ("/".join(parts[:3]), str(row)))
        return rows

    small = 0 if len(candidates[0]) <= len(candidates[1]) else 1
    first = rows_of(candidates[small], None)
    if not first:
        return []
    second = rows_of(candidates[1 - small], {row for _folder, row in first.values()})
    ours, theirs = (first, second) if small == 0 else (second, first)
    pairs: dict[tuple[str, str], list[str]] = {}
    for key, (folder, row) in theirs.items():
        if key in ours and ours[key][0] != folder:
            pairs.setdefault((folder, ours[key][0]), []).append(row)
    lines = []
    for (folder, mine_folder), rows_of in sorted(pairs.items()):
        cid, mine = folder.rsplit("/", 1)[1], mine_folder.rsplit("/", 1)[1]
        profiles = [mapping_at(root / f / CUSTOMER_FILE) for f in (folder, mine_folder)]
        if not all(profiles) or (cid, mine) in named:
            continue
        named.add((cid, mine))  # said once: not again as one card twice
        shown = ", ".join(sorted(set(rows_of))[:3]) + (" …" if len(set(rows_of)) > 3 else "")
        lines.append(_("{name} ({id}) of {label} and this clone's {mine_name} ({mine}) were made from one row "
                       "of one sheet ({rows}), each clone importing it: one customer twice; `kehu duplicates` lists "
                       "them, `kehu customer merge KEEP OTHER` joins them, keeping the row's sale once").format(
            name=profiles[0].get("name"), id=cid, label=label, mine_name=profiles[1].get("name"), mine=mine,
            rows=shown))
    return lines


def _one_card_twice(root: Path, base: str, before: str, ref: str, label: str,
                    named: set[tuple[str, str]]) -> list[str]:
    """The customers (theirs, ours) each side added since the merge base that are one card twice:
    a name and no phone nor email, every other value alike (:func:`.dedupe.card_key`). A row
    of a name alone (no sale, no phone) of a sheet imported in each clone was named by nothing,
    `kehu duplicates` none. One line per pair not named already (``named``: theirs, ours)."""
    from .dedupe import card_key
    from .sync_messages import mapping_at

    added = [[rel for rel in gitops.run(root, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=A", base,
                                        rev, "--", CUSTOMERS_DIR, check=False).stdout.split("\0")
              if rel.endswith(f"/{CUSTOMER_FILE}")] for rev in (before, ref)]
    if not all(added):  # (most syncs: one side added no customer, nothing to read)
        return []
    mine, theirs = ({key: data for rel in side if (key := card_key(data := mapping_at(root / rel))) is not None}
                    for side in added)
    return [_("{name} ({id}) of {label} and this clone's {mine_name} ({mine}) are one card twice (a name and "
              "nothing else: no phone, no email), each clone adding it, from one sheet imported in both, say; "
              "`kehu duplicates` lists them, `kehu customer merge KEEP OTHER` joins them").format(
                  name=data.get("name"), id=data.get("id"), label=label, mine_name=mine[key].get("name"),
                  mine=mine[key].get("id"))
            for key, data in sorted(theirs.items()) if key in mine and mine[key].get("id") != data.get("id")
            and (str(data.get("id")), str(mine[key].get("id"))) not in named]


#: the subject of the commit `kehu handover` makes (kehu_core/cli/git_cmds.py), in one language
_HANDOVER = re.compile(r"^handover: \d+ customers of (.+?) to (.+)$")


def handed_over_meanwhile(root: Path, before: str, ref: str, label: str) -> list[str]:
    """After a merge of ``ref`` into ``before`` (this clone's side): the customers one side added
    or gave (``owner``) to a rep whose customers the other side handed to another
    (``kehu handover``, whose commit says so) since their merge base. The hand-over covered the
    customers its clone had; those stayed with a rep who has left, without a word. One line per
    hand-over, naming them and the ``kehu handover`` that gives them too."""
    from .sync_messages import mapping_at, mapping_in  # a profile as a commit holds it, as the merge left it

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
            data = mapping_at(root / rel)
            was = mapping_in(gitops.show(root, base, rel)) if data else {}
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


def refuse_new_branch(point: RestorePoint, remote: str, branch: str, others: list[str], kept: str) -> None:
    """This clone is on a branch the remote does not have, one following no branch of the
    remote's (``git worktree add ../try -b try``, ``git switch -c try``): pushing it started a
    branch of its own on the remote, which no other clone syncs with, and this clone's
    customers never reached the team. A person says which branch to share with. A remote with
    no branch at all (a new, empty one) is filled as on a first sync; a branch that follows one
    of the remote's (``git branch -u``, or ``git push -u`` by hand to share it as a branch of its
    own) is synced with that one."""
    if not others:
        return
    point.restore()
    raise SyncError(_("this clone is on branch {branch}, which remote {remote} does not have (it has: {others}) "
        "and which follows none of its branches; a sync would start a branch {branch} of its own there, which "
        "no other clone syncs with, so nothing was pushed. To share it with the team, make it follow the "
        "team's branch: `git branch -u {remote}/{first}` (or `git switch {first}` and sync from there); then "
        "run `kehu sync` again. {kept}").format(remote=remote, branch=branch, others=", ".join(others),
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
            label=label, count=len(links), kept=kept), *listing(links, root))
