"""A rebase begun by hand (``git pull --rebase``, ``git rebase``) that git stopped on files two
clones changed: what ``kehu check``, the TUI and ``kehu sync`` say of it.

kehu settles what two clones did to one customer in a merge (``kehu sync``: a customer merged
away in one clone and changed in the other follows into the one kept, its records with it; a
file kept in one clone and deleted in the other is asked of the person with the sides named).
While git replays this clone's commits onto the other's, git's sides are the other way round
and there is no merge to finish: the words for a merge ("changed in this clone, deleted in the
other") named the sides wrongly, and following them (`git add` or `git rm`, then `kehu sync`)
met "HEAD is detached", or lost the other clone's change. The way on is to undo the rebase,
which keeps this clone's commits, and let ``kehu sync`` merge (``sync_guard.refuse_replay_stopped``).
"""

from __future__ import annotations

from ..i18n import _


def file_text() -> str:
    """What ``kehu check`` says of a file the rebase stopped on, kept in one clone and deleted or
    moved in the other."""
    return _("git's rebase (`git pull --rebase`) stopped on this file, kept in one clone and deleted or moved in "
             "the other; kehu settles that in a merge, not while commits are replayed: undo the rebase with "
             "`git rebase --abort` (your commits stay), then run `kehu sync`, which merges and settles it or "
             "asks you, the sides named")

