"""Names in a store that a clone on macOS or Windows would take for one (``Points.ledger.yaml``
beside ``points.ledger.yaml``, ``templates/Greet.j2`` beside ``greet.j2``, a rep's folder with
its accent written two ways). Their file systems ignore case, and macOS also how an accent is
written (composed or decomposed), so git checks both out into one file, the later over the
earlier; `git status` then shows the other as changed, and the next `kehu sync`, which commits
every change, commits one file's text under both names: the other is lost for the whole team.
`kehu check` said ok on Linux. New customer ids are refused as such twins where they are made
(``Store.refuse_case_twin``); this is the rule for every other path."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from pathlib import Path

from .errors import Problem, shown_path
from .i18n import _


def twin_key(rel: str) -> str:
    """What a file system that ignores case (and how an accent is written) sees of a path."""
    return unicodedata.normalize("NFC", rel).casefold()


def case_twin_problems(root: Path, rels: Iterable[str]) -> list[Problem]:
    """A problem at each of the store-relative paths ``rels`` that has a twin among them."""
    groups: dict[str, list[str]] = {}
    for rel in rels:
        groups.setdefault(twin_key(rel), []).append(rel)
    out = []
    for names in groups.values():
        for rel in names if len(names) > 1 else ():
            others = ", ".join(shown_path(n) for n in sorted(names) if n != rel)
            out.append(Problem(root / rel, 1, _(
                "differs from {others} only in case (or in how an accent is written): a clone on macOS or "
                "Windows holds one file for both, and its `kehu sync` would commit that one's text under both "
                "names; keep one of them (rename, or move its content into the other)").format(others=others)))
    return out
