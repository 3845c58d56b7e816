"""What keeps ``kehu sync`` from spreading a broken store or leaving a clone half-synced.

* :class:`RestorePoint` — the clone as it was before the sync: a sync that cannot finish (the
  remote unreachable, push races lost too often, a merge that check rejects) puts the clone
  back, the user's edits uncommitted as they were.
* :func:`unmerged_problems` — files git could not merge (both sides changed them, or one
  side changed what the other deleted) as ``path:line`` problems, for ``kehu check`` and the TUI.
* :func:`finish_merge` — a merge stopped by an earlier sync, finished once the user decided;
  a customer kept in full or deleted in full, never a profile without its purchases.
"""

from __future__ import annotations

import hashlib
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import KehuError, Problem
from ..i18n import _
from ..store import CUSTOMER_FILE, CUSTOMERS_DIR, Store
from . import gitops, profile_merge

# `git ls-files -u` stages: 1 the common ancestor, 2 ours, 3 theirs
_DELETED_BY_US = frozenset({"1", "3"})
_DELETED_BY_THEM = frozenset({"1", "2"})

MARKERS = ("unresolved git merge conflict (<<<<<<< ... >>>>>>>): keep the right lines, "
           "delete the markers, `git add` it")


class SyncError(KehuError):
    """Sync stopped; the message says what was already done and what to do next."""


def is_conflict(problem: Problem) -> bool:
    """A field changed two ways, kept under ``conflicts:`` by kehu's merge driver."""
    return problem.message.startswith(profile_merge.CONFLICT_PREFIX)


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


# --- unmerged files -------------------------------------------------------------------------


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


def describe_unmerged(rel: str, stages: frozenset[str]) -> str:
    if stages == _DELETED_BY_US:
        how = "deleted in this clone, changed in the other"
    elif stages == _DELETED_BY_THEM:
        how = "changed in this clone, deleted in the other"
    else:
        return ("git merge not finished: changed in both clones; check it, then `kehu sync` "
                "finishes the merge")
    return (f"{how} (a sync's merge is waiting for you): keep it with `git add {rel}`, or delete "
            f"it with `git rm {rel}`, then `kehu sync` (a customer is kept or deleted whole, with "
            "its purchases)")


def merged_both_ways(root: Path, stuck: dict[str, frozenset[str]]) -> dict[str, str]:
    """Customers two clones merged each into the other (``customer merge X Y`` here, ``customer
    merge Y X`` there): each deleted on one side, kept on the other with the other's id under
    ``also_known``. The ``customer.yaml`` of each (relative), with the other's id. Keeping both
    would hold every purchase of the two under both; one of them is to be kept."""
    from .dedupe import ALSO_KNOWN
    from .sync_messages import _load_path

    absorbed: dict[str, tuple[str, set[str]]] = {}  # id -> (its profile, the ids merged into it)
    for rel, stages in stuck.items():
        if rel.endswith(f"/{CUSTOMER_FILE}") and stages in (_DELETED_BY_US, _DELETED_BY_THEM):
            known = _load_path(root / rel).get(ALSO_KNOWN)
            ids = {e.get("id") for e in known if isinstance(e, dict)} if isinstance(known, list) else set()
            absorbed[rel.rsplit("/", 2)[-2]] = (rel, ids)
    return {rel: other for cid, (rel, ids) in absorbed.items() for other in sorted(ids)
            if other in absorbed and cid in absorbed[other][1]}


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
    problems = []
    for rel, stages in sorted(stuck.items()):
        path = root / rel
        line = profile_merge.marker_line(path) if path.is_file() else None
        if line is not None:
            problems.append(Problem(path, line, MARKERS))
        else:
            problems.append(Problem(path, 1, describe_unmerged(rel, stages)))
        if rel in both:
            problems.append(Problem(path, 1, _both_ways_text(both[rel])))
    return problems


def waiting(store: Store) -> list[Problem]:
    """What a merge left for a person, as ``kehu check`` words it: files git left unmerged and
    every ``conflicts:`` entry (profiles and interactions). Answered from the index and git's
    own index, without reading the records: the TUI asks it at start and after every sync."""
    problems = unmerged_problems(store.root)
    index = store.index
    for _cid, rel in index.customers_with_conflicts():
        customer = store.read_customer_file(store.root / rel)
        problems.extend(profile_merge.conflict_problems(store.root / rel, customer))
    for cid, iid, record in index.interactions_with_conflicts():
        path = store.interactions_dir(cid) / f"{iid}.yaml"
        problems.extend(profile_merge.entry_problems(path, None, record["conflicts"]))
    return problems


def undecided(root: Path) -> list[str]:
    """Unmerged files whose fix is a decision (keep or delete), not an edit: their lines, then
    a line for each customer merged each into another (:func:`merged_both_ways`)."""
    stuck = unmerged(root)
    lines = [f"{rel}:1: {describe_unmerged(rel, stages)}" for rel, stages in sorted(stuck.items())
             if stages in (_DELETED_BY_US, _DELETED_BY_THEM)]
    both = merged_both_ways(root, stuck)
    return lines + [f"{rel}:1: {_both_ways_text(other)}" for rel, other in sorted(both.items())]


# --- finishing a merge the user fixed -------------------------------------------------------


def finish_merge(store: Store) -> str:
    """Commit a merge stopped by an earlier sync once the user has fixed its files; refuses
    while a file still has conflict markers or a keep-or-delete decision is not taken."""
    root = store.root
    stuck = unmerged(root)
    for rel in [*stuck, *(p for _state, p in gitops.status(root))]:
        path = root / rel
        line = profile_merge.marker_line(path) if path.is_file() else None
        if line is not None:
            raise SyncError(_("{path}:{line}: still has git conflict markers; keep the right lines, delete the "
                "markers, then run `kehu sync` again").format(
                path=path, line=line))
    waiting = undecided(root)
    if waiting:
        raise SyncError(_("a merge is waiting for a decision, nothing was pushed:") + "\n" + "\n".join(waiting))
    gitops.run(root, "add", "-A", ".")  # the user edited the files; no need to `git add` them
    settled = settle_deleted_customers(root)
    gitops.run(root, "commit", "-q", "--no-edit")
    note = "finished the merge left open by the last sync"
    if settled:
        note += "; " + "; ".join(settled)
    return note


def settle_deleted_customers(root: Path) -> list[str]:
    """A customer deleted in one clone and edited in the other is, as the user decided, kept
    whole (every file of its folder as the side that kept it has it) or deleted whole (no
    purchases, ledgers or interactions left without their profile). Stages what it does."""
    if not gitops.ref_exists(root, "MERGE_HEAD"):
        return []
    base = gitops.run(root, "merge-base", "HEAD", "MERGE_HEAD", check=False).stdout.strip()
    if not base:
        return []
    listed = {rev: set(_customer_files(root, rev)) for rev in (base, "HEAD", "MERGE_HEAD")}
    done = []
    for rel in sorted(listed[base]):
        if not rel.endswith(f"/{CUSTOMER_FILE}"):
            continue
        in_ours, in_theirs = rel in listed["HEAD"], rel in listed["MERGE_HEAD"]
        if in_ours == in_theirs:
            continue  # kept or deleted on both sides: nothing to decide
        folder = rel.rsplit("/", 1)[0]
        keeper = "HEAD" if in_ours else "MERGE_HEAD"
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
    listed = {rev: set(_customer_files(root, rev)) for rev in (base, merged, ref)}
    orphaned = []
    for rel in sorted(listed[base]):
        folder = rel.rsplit("/", 1)[0] + "/"
        if (rel.endswith(f"/{CUSTOMER_FILE}") and rel not in listed[merged]
                and any(f.startswith(folder) for f in listed[merged])):
            orphaned.append(rel)
    if not orphaned:
        return []
    keeper = {rel: "3" if rel in listed[ref] else "2" for rel in orphaned}
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


def _customer_files(root: Path, rev: str) -> list[str]:
    out = gitops.run(root, "ls-tree", "-r", "-z", "--name-only", rev, "--", CUSTOMERS_DIR,
                     check=False).stdout
    return [p for p in out.split("\0") if p]


def _remove_tree(folder: Path) -> None:
    import shutil

    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder, ignore_errors=True)


#: files that tell git how to merge, convert, check out or leave out the store's files, or to
#: fetch other repositories: a colleague's clone may not change them (kehu writes .gitattributes
#: and .gitignore itself; a `customers/` line in .gitignore left every new customer unshared
#: while sync said "nothing new to commit")
GIT_SETTINGS = (".gitattributes", ".gitignore", ".gitmodules")
_GITLINK = "160000"


def git_file_problems(root: Path) -> list[Problem]:
    """Git's own files of the store (``.gitattributes``, ``.gitignore``, ``.gitmodules``, at
    its top and in ``customers/``) that are no regular file: git opens them on every
    ``git status``, so a FIFO there made ``kehu sync`` wait for ever with the store locked (and
    ``kehu check`` said ok); a link or a device is no file of settings either. Two folders, six
    ``lstat``: cheap enough for every sync, before git is asked anything."""
    from ..yamlio import link_message, special_kind

    problems = []
    for folder in (root, root / CUSTOMERS_DIR):
        for name in GIT_SETTINGS:
            path = folder / name
            try:
                mode = path.lstat().st_mode
            except OSError:
                continue  # none there: git and kehu do without
            if stat.S_ISLNK(mode):
                problems.append(Problem(path, 1, link_message(path)))
            elif not stat.S_ISREG(mode):
                problems.append(Problem(path, 1, _("is {what}, not a file: git reads its settings for the "
                    "store from it and would wait on it or fail; put a regular file here, or remove it").format(
                    what=special_kind(mode))))
    return problems


def foreign_git_settings(root: Path, ref: str) -> list[str]:
    """What ``ref`` (a colleague's commits) changes of how git treats this store, each said in
    a line: a ``.gitattributes`` anywhere that is not the one kehu writes (``merge=union`` on
    profiles, ``-merge``, ``filter=``, ``working-tree-encoding=UTF-16``: every later commit of the
    team failed "failed to encode"), a ``.gitmodules`` or a submodule (a gitlink). Checked before
    the merge, since git applies what the merge brings to that very checkout."""
    from ..store import GITATTRIBUTES, GITIGNORE

    base = gitops.run(root, "merge-base", "HEAD", ref, check=False).stdout.strip()
    if not base:  # unrelated histories: everything ref holds is new
        base = gitops.run(root, "hash-object", "-t", "tree", "/dev/null").stdout.strip()
    raw = gitops.run(root, "diff", "--raw", "-z", "--no-renames", "--no-abbrev", base, ref, "--").stdout
    prefix = gitops.run(root, "rev-parse", "--show-prefix").stdout.strip()
    own = {prefix + ".gitattributes": GITATTRIBUTES, prefix + ".gitignore": GITIGNORE}
    fields = raw.split("\0")
    found: list[str] = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        if not meta.startswith(":"):
            continue
        _old_mode, new_mode, _old, new, _status = meta[1:].split()
        name = path.rsplit("/", 1)[-1]
        if new_mode == _GITLINK:
            found.append(_("{path}: a submodule (another repository inside the store)").format(path=path))
        elif path in own and new == _blob_id(own[path].encode("utf-8"), len(new)):
            continue  # kehu's own, as this kehu writes it
        elif name == ".gitignore" and set(new) != {"0"}:
            ignored = _ignored_records(root, path, new, prefix)
            if ignored:  # ignores of one's own (a.pdf) are the team's business
                found.append(_("{path}: leaves out {what}, which would then never be shared").format(
                    path=path, what=ignored))
        elif name in GIT_SETTINGS:
            found.append(_("{path}: changed ({what})").format(
                path=path, what=_("deleted") if set(new) == {"0"} else _("not as kehu writes it")))
    return found


#: a file of each kind kehu keeps, relative to the store: a .gitignore leaving one out is refused
_RECORDS = ("kehu.yaml", ".gitattributes", "customers/ab/c1abc/customer.yaml",
            "customers/ab/c1abc/points.ledger.yaml", "customers/ab/c1abc/interactions/2026-01-01-x.yaml",
            "templates/x.j2")


def _ignored_records(root: Path, path: str, blob: str, prefix: str) -> str:
    """Which of kehu's kinds of files the .gitignore ``blob`` (at ``path``) leaves out, asked of
    git itself in an empty repository holding only that file."""
    import tempfile

    text = gitops.run(root, "cat-file", "blob", blob).stdout
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp)
        gitops.run(probe, "init", "-q")
        (probe / path).parent.mkdir(parents=True, exist_ok=True)
        (probe / path).write_text(text, encoding="utf-8")
        out = gitops.run(probe, "check-ignore", "--no-index", "--stdin", check=False,
                         input="\n".join(prefix + p for p in _RECORDS) + "\n").stdout
    return ", ".join(line.removeprefix(prefix).replace("ab/c1abc/", "…/").replace("x.j2", "…")
                     for line in out.splitlines())


def _blob_id(data: bytes, length: int) -> str:
    """The id git gives ``data`` as a file (SHA-1, or SHA-256 in a repository made so)."""
    header = f"blob {len(data)}\0".encode()
    return (hashlib.sha256 if length == 64 else hashlib.sha1)(header + data).hexdigest()  # noqa: S324 - git's id
