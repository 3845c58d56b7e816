"""A remote whose history was rewritten since this clone last fetched it (a force-push: ``git push
--force`` of an old copy, a host's "undo the last push", commits taken out on purpose).

kehu never rewrites the team's history, but anyone with plain git can. The sync merged the
rewritten branch with this clone's own, which still held the commits the rewrite had taken
out, and pushed them back with exit 0, without a word: a commit removed on purpose (a wrong
import, a secret committed) came back into every clone. Whether they should come back is for
a person: the sync stops, the clone as it was, naming the commits and the way either way.
"""

from __future__ import annotations

from typing import NoReturn

from ..i18n import _
from . import gitops
from .sync_guard import RestorePoint, SyncError

#: the commits a refusal names one by one (the rest counted)
_SHOWN = 5


def refuse_rewritten(point: RestorePoint, tracking: str, old: str, label: str) -> None:
    """Stop the sync when ``tracking`` (just fetched) no longer holds ``old``, the commit it
    named before the fetch, and this clone holds commits that only ``old`` held: merging
    would push them back. The tracking ref is set back to ``old``, so the next sync asks
    again until a person decides (a ``git fetch`` of their own says: push them back)."""
    root = point.root
    new = gitops.run(root, "rev-parse", "-q", "--verify", tracking, check=False).stdout.strip()
    if not new or new == old or gitops.run(root, "merge-base", "--is-ancestor", old, new,
                                           check=False).returncode == 0:
        return
    gone = gitops.run(root, "rev-list", old, "--not", new, check=False).stdout.split()
    held = set(gitops.run(root, "rev-list", "HEAD", "--not", new, check=False).stdout.split())
    gone = [commit for commit in gone if commit in held]
    if gone:
        _refuse(point, tracking, old, label, gone)


def _refuse(point: RestorePoint, tracking: str, old: str, label: str, gone: list[str]) -> NoReturn:
    root = point.root
    point.restore()
    gitops.run(root, "update-ref", "-m", "kehu sync: the remote was rewritten; as before the fetch", tracking, old)
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
        "mistake (an old copy pushed over the team's work), `git fetch`, then `kehu sync`, which merges them "
        "and pushes them back. The commits:").format(label=label, count=len(gone), old=old[:12]),
        *(f"  {line}" for line in shown))
