"""A merge this clone committed and has not pushed, in which a customer the other clone merged
into another (``kehu customer merge``) still stands with the change this clone made to it (or
the other way round): merged into that customer again by the next ``kehu sync``.

``kehu sync`` finishing a merge made by hand (``git merge``, ``git pull``) commits it, then
merges each such customer into the one kept (``sync_settled_files.merge_again``). Refused — the
customer's confidential value to be read without a key, or one that cannot be joined — the
merge stayed committed, and the next sync, run as the refusal said (with a supervisor's key),
found no merge open, so nothing merged the customer again: `kehu check` refused the customer
standing beside the one it was merged into, for ever, naming only `kehu customer merge` by hand.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from . import gitops
from .unmerged_files import OpenMerge

if TYPE_CHECKING:
    from ..store import Store
    from .sync_settled_files import MergeAgain


class CommittedMerge(OpenMerge):
    """A merge committed here, asked as an open one is: ``ours`` (HEAD^1) for HEAD, ``theirs``
    (HEAD^2) for MERGE_HEAD (``merge_finishing.side_rev``)."""

    def __init__(self, root: Path, ours: str, theirs: str) -> None:
        super().__init__(root)
        self.sides = {"HEAD": ours, "MERGE_HEAD": theirs}

    @functools.cached_property
    def base(self) -> str | None:
        return gitops.run(self.root, "merge-base", self.sides["HEAD"], self.sides["MERGE_HEAD"],
                          check=False).stdout.strip() or None


def merged_away_standing(store: Store) -> list[MergeAgain]:
    """When HEAD is a merge not yet on the upstream: each customer one side merged into another
    whose profile the other side changed and the merge kept, to merge again
    (``merge_finishing.kept_merged_away``). None otherwise (nothing is asked of a pushed merge,
    followed up where it was made)."""
    from .merge_finishing import kept_merged_away

    root = store.root
    sides = [gitops.run(root, "rev-parse", "-q", "--verify", f"HEAD^{n}", check=False).stdout.strip()
             for n in (1, 2)]
    if not all(sides):
        return []
    upstream = gitops.run(root, "rev-parse", "-q", "--verify", "@{upstream}", check=False).stdout.strip()
    if upstream and not gitops.run(root, "merge-base", "--is-ancestor", "HEAD", upstream, check=False).returncode:
        return []
    return kept_merged_away(store, CommittedMerge(root, sides[0], sides[1]))
