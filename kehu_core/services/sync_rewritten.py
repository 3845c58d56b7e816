"""A remote whose history was rewritten since this clone last fetched it (a force-push: ``git push
--force`` of an old copy, a host's "undo the last push", commits taken out on purpose).

kehu never rewrites the team's history, but anyone with plain git can. The sync merged the
rewritten branch with this clone's own, which still held the commits the rewrite had taken
out, and pushed them back with exit 0, without a word: a commit removed on purpose (a wrong
import, a secret committed) came back into every clone. Whether they should come back is for
a person: the sync stops, the clone as it was, naming the commits and the way either way.

What the remote held is what kehu itself last synced (``refs/kehu/synced/REMOTE/BRANCH``,
written at the end of each sync that finished), not the remote-tracking branch: any ``git
fetch`` (an editor's or IDE's background fetch, the user's own) moves that one past the rewrite,
and the sync then took the rewritten branch as what it knew and pushed the commits back, exit 0.
A clone that has not finished a sync since (a clone made before this, a first sync) starts from
the remote-tracking branch as it was. The answer "a mistake: push them back" is said, never
inferred: ``kehu sync --push-back``. (It was a ``git fetch`` after the refusal, so a background
fetch was taken for it and the next sync pushed the commits back.)
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

from ..i18n import _
from . import gitops
from .sync_guard import RestorePoint, SyncError

#: the commits a refusal names one by one (the rest counted)
_SHOWN = 5
#: what the remote's branch held at the end of the last sync that finished (no fetch moves it)
SYNCED = "refs/kehu/synced"


def _rev(root: Path, ref: str) -> str:
    return gitops.run(root, "rev-parse", "-q", "--verify", f"{ref}^{{commit}}", check=False).stdout.strip()


def _holds(root: Path, ancestor: str, descendant: str) -> bool:
    return gitops.run(root, "merge-base", "--is-ancestor", ancestor, descendant, check=False).returncode == 0


def last_synced(root: Path, remote: str, branch: str, had: str) -> str:
    """What the remote's branch held when this clone last finished a sync; ``had`` (the
    remote-tracking branch before the fetch) for a clone that has not since this was written."""
    return _rev(root, f"{SYNCED}/{remote}/{branch}") or had


def remember_synced(root: Path, remote: str, branch: str) -> None:
    """At the end of a sync that finished: the remote's branch as it now is, the baseline of the
    next sync's look for a rewrite."""
    tip = _rev(root, f"refs/remotes/{remote}/{branch}")
    if tip:
        gitops.run(root, "update-ref", "-m", "kehu sync", f"{SYNCED}/{remote}/{branch}", tip, check=False)


def refuse_rewritten(point: RestorePoint, tracking: str, old: str, label: str) -> None:
    """Stop the sync when ``tracking`` (just fetched) no longer holds ``old``, what the remote
    held at this clone's last sync (:func:`last_synced`), and this clone holds commits that
    only ``old`` held: merging would push them back. The tracking ref is set back to ``old``,
    so the next sync asks again until a person decides (``kehu sync --push-back``, or the
    commits taken out here too)."""
    root = point.root
    new = _rev(root, tracking)
    if not new or new == old or _holds(root, old, new):
        return
    gone = gitops.run(root, "rev-list", old, "--not", new, check=False).stdout.split()
    held = set(gitops.run(root, "rev-list", "HEAD", "--not", new, check=False).stdout.split())
    gone = [commit for commit in gone if commit in held]
    if gone:
        point.restore()
        gitops.run(root, "update-ref", "-m", "kehu sync: the remote was rewritten; as before the fetch", tracking, old)
        _refuse(root, old, label, gone)


def _refuse(root: Path, old: str, label: str, gone: list[str]) -> NoReturn:
    shown = [gitops.run(root, "log", "-1", "--format=%h %an %ad %s", "--date=short", commit).stdout.strip()
             for commit in gone[:_SHOWN]]
    if len(gone) > _SHOWN:
        shown.append(_("… and {count} more").format(count=len(gone) - _SHOWN))
    raise SyncError(_(
        "{label} was rewritten since this clone last synced (a force-push: `git push --force`, a host's undo of "
        "a push): {count} commit(s) it held are no longer there, and this clone holds them, so merging would "
        "push them back to the team. Nothing was merged or pushed; this clone is as it was (your edits are "
        "still there, uncommitted). If they were taken out on purpose (a wrong import, a secret committed), "
        "take them out here too: commit your edits (`git add -A`, `git commit -m ...`), `git fetch`, then `git rebase "
        "--onto {label} {old}` (your own commits since are kept), then `kehu sync`. If the rewrite was a "
        "mistake (an old copy pushed over the team's work), `kehu sync --push-back`, which merges them "
        "and pushes them back. The commits:").format(label=label, count=len(gone), old=old[:12]),
        *(f"  {line}" for line in shown))
