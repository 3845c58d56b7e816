"""A ``kehu sync`` killed half-way (``kill -9``, a power cut, the OOM killer) is put back by the
next command.

Git's merge writes the merged files into the working tree, runs the ``pre-merge-commit`` hook
and only then writes MERGE_HEAD and the merge commit. A sync killed in that window (or while
kehu's merge driver ran, or between the merge and its check and push) left the colleague's
changes in the working tree with no merge in progress, and the next sync committed them as this
clone's own edit: a change the colleague had taken back since (``kehu undo``) came back for
the whole team.

So the sync writes ``.kehu/sync-in-progress`` (HEAD before it, the commit it made of the
user's edits, the remote branch) before it fetches and merges, and removes it however it ends,
but for a kill. The next command that takes the store's lock (every sync and write; ``kehu
check`` and the others that open the store take it to do this) finds the marker of a sync that
is not running (the lock is free) and puts the clone back as it was before that sync — HEAD,
no merge, the user's edits uncommitted — and says so; a sync killed after its push, whose
commits the remote holds, is left as it is. This module imports only git's own operations:
the store's lock calls it.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from ..i18n import _
from . import gitops

MARKER = "sync-in-progress"
#: where the working tree a killed sync left is kept when the clone is put back
KEPT_REF = "refs/kehu/killed-sync"


def put_back(root: Path, start: str | None, committed: str | None) -> None:
    """The clone as before a sync: HEAD ``start``, no merge under way, the edits the sync
    committed (``committed``) back in the working tree uncommitted (files that commit added are
    untracked again). An unborn branch (``start`` None): nothing to go back to but the files."""
    if start is None:
        return
    gitops.run(root, "merge", "--abort", check=False)
    gitops.run(root, "reset", "-q", "--hard", committed or start)
    if committed:
        gitops.run(root, "reset", "-q", start)


def begin(state: Path, start: str | None, committed: str | None, tracking: str) -> None:
    """Write the marker of a sync about to fetch and merge (best effort: a store whose state
    folder cannot be written syncs as before)."""
    from ..yamlio.atomic import atomic_write

    with contextlib.suppress(OSError):
        atomic_write(state / MARKER, json.dumps({"start": start, "committed": committed,
                                                 "tracking": tracking}) + "\n")


def end(state: Path) -> None:
    with contextlib.suppress(OSError):
        (state / MARKER).unlink(missing_ok=True)


def left(state: Path) -> bool:
    """Whether a sync's marker is there (a sync running now, or one killed)."""
    return (state / MARKER).is_file()


def recover(root: Path, state: Path) -> str | None:
    """Call with the store's lock held: a marker there is a killed sync's. Put the clone back as
    it was before that sync, unless its push landed; remove the marker. What was done, in a
    line for the user, or None when there was no marker."""
    path = state / MARKER
    try:
        said = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        said = None
    if not isinstance(said, dict) or not all(isinstance(said.get(k), (str, type(None)))
                                             for k in ("start", "committed", "tracking")):
        end(state)
        return _("kehu: a `kehu sync` was stopped before it finished, and its note of where it began ({path}) "
                 "cannot be read, so this clone is as that sync left it: `git status` and `git log` show "
                 "it").format(path=path)
    start, committed, tracking = said.get("start"), said.get("committed"), said.get("tracking") or ""
    head = gitops.head(root)
    pushed = bool(head and tracking and head != start and gitops.run(
        root, "merge-base", "--is-ancestor", head, tracking, check=False).returncode == 0)
    if pushed or start is None:
        end(state)
        return None
    base = committed or start
    if head != base and _committed_since(root, base, head or "", tracking):
        end(state)
        return _("kehu: the last `kehu sync` was interrupted (killed) before it finished, and commits were made "
                 "here since (not by kehu), so this clone is left as it is: `git log` and `git status` show it; "
                 "`kehu sync` merges again")
    # the working tree as the killed sync left it (a hand edit made since among it): kept under a ref
    kept = gitops.run(root, "stash", "create", check=False).stdout.strip()
    if kept:
        gitops.run(root, "update-ref", KEPT_REF, kept, check=False)
    put_back(root, start, committed)
    end(state)
    said = _("kehu: the last `kehu sync` was interrupted (killed) before it finished merging; this clone was put "
             "back as it was before that sync (HEAD {start}, your edits uncommitted, no merge), so nothing it "
             "had merged is taken for an edit of yours. Run `kehu sync` to merge again").format(start=start[:7])
    if kept:
        said += _(" (the working tree as that sync left it is kept as {ref}: `git stash apply {ref}` brings it "
                  "back)").format(ref=KEPT_REF)
    return said


def _committed_since(root: Path, base: str, head: str, tracking: str) -> bool:
    """Whether HEAD holds commits other than the killed sync's own merges since ``base``: a
    commit made by hand after the kill (``git commit``, ``git pull --rebase``), which putting the
    clone back would drop."""
    if gitops.run(root, "merge-base", "--is-ancestor", base, head, check=False).returncode != 0:
        return True
    others = gitops.run(root, "rev-list", "--no-merges", f"{base}..{head}",
                        *(["--not", tracking] if tracking and gitops.ref_exists(root, tracking) else []),
                        check=False)
    return others.returncode != 0 or bool(others.stdout.strip())
