"""A ledger as a merge of two clones leaves it, settled by ``kehu sync`` before it is checked.

Ledgers are merged by git's union driver (``.gitattributes``): every line either side added is
kept, so two clones' entries both stand. But where one side took an entry back (``kehu undo``
of a redemption, a hand fix) and the other added an entry next to it, git sees one changed
region and the union keeps the region of both sides, the entry taken back among them: the
redemption an undo took back was in the ledger again after the next merge, its points spent
again, with ``kehu check`` ok and both syncs exit 0. So too where one side rewrote an entry
(``kehu customer merge`` and ``kehu customer reid`` make the entries naming a customer name the
one it became: the referrer's bonus for its first sale) and the other added a line next to it:
the union kept the entry as it was beside the entry rewritten, one id twice, and the sync was
refused ("is here twice", or the referral bonus given twice) though nothing was given twice.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import RecordError
from ..i18n import _
from ..store import LEDGER_SUFFIX
from ..store.ledgers import ledger_entry
from . import gitops


def drop_entries_taken_back(root: Path) -> list[str]:
    """Entries (by id) the merge's base held that one side took out and the other left as they
    were, which the union merge brought back: taken out of the merged ledger again, the merge
    commit amended; and of an entry one side rewrote and the other left as it was, the version
    as it was, which the union kept beside the rewritten one. An entry the side that kept it had
    changed is left, for a person (as two changes of one entry are). Only a merge this sync made
    is settled (a fast-forward is the remote's own commit); run right after git's merge, before
    what follows a merged customer renames the entries naming it (which made the two versions
    one entry twice). Returns a note per ledger settled.

    The ledgers looked at are those either side changed since the base, not those the merge
    changed in this clone: a ledger as the union leaves it may be this clone's own, unchanged,
    where the entry this clone kept was taken back by the other."""
    from ..yamlio.atomic import atomic_write

    if gitops.run(root, "rev-parse", "-q", "--verify", "HEAD^2", check=False).returncode:
        return []
    found = gitops.run(root, "merge-base", "HEAD^1", "HEAD^2", check=False)
    if found.returncode:
        return []  # no common history: nothing was taken back since it
    base = found.stdout.strip()
    ledgers = sorted({rel for side in ("HEAD^1", "HEAD^2") for rel in _lines_taken_out(root, base, side)})
    done = []
    for rel in ledgers:
        path = root / rel
        if path.is_symlink() or not path.is_file():
            continue
        was, ours, theirs = (_entries_at(root, rev, rel) for rev in (base, "HEAD^1", "HEAD^2"))
        if was is None or ours is None or theirs is None:
            continue  # made or deleted by one side: nothing of it taken back entry by entry
        gone = {key: values for key, values in was.items() if key not in ours or key not in theirs}
        # rewritten on one side alone: the version as it was goes (the rewritten one stays)
        old = {key: values for key, values in was.items() if key in ours and key in theirs
               and (ours[key] == values) != (theirs[key] == values)}
        if not gone and not old:
            continue
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        back = {n for n, line in enumerate(lines, 1) if _taken_back(path, n, line, gone)}
        stale = {n for n, line in enumerate(lines, 1) if _taken_back(path, n, line, old)}  # keys apart from gone's
        if back:
            done.append(_("{path}: {count} entries taken back in one clone (`kehu undo`, a hand edit) "
                          "were brought back by git's merge; taken out again").format(path=rel, count=len(back)))
        if stale:
            done.append(_("{path}: {count} entries rewritten in one clone (a customer merged or given a new "
                          "id renames the entries naming it) were kept by git's merge as they were too; "
                          "the old version taken out").format(path=rel, count=len(stale)))
        if back or stale:
            atomic_write(path, "".join(line for n, line in enumerate(lines, 1) if n not in back | stale))
            gitops.run(root, "add", "--", rel)
    if done:
        gitops.run(root, "commit", "-q", "--amend", "--no-edit", env={gitops.SKIP_HOOK: "1"})
    return done


def _lines_taken_out(root: Path, base: str, side: str) -> list[str]:
    """The ledgers ``side`` took a line out of since ``base`` (git's count of lines; one diff of
    two trees): ledgers only grow otherwise, so a merge of two clones' sales reads no ledger."""
    out = gitops.run(root, "diff", "--numstat", "-z", "--no-renames", "--relative", base, side, "--",
                     f"*{LEDGER_SUFFIX}").stdout
    found = []
    for record in out.split("\0"):
        added, _tab, rest = record.partition("\t")
        deleted, _tab, rel = rest.partition("\t")
        if rel.endswith(LEDGER_SUFFIX) and deleted.isdigit() and int(deleted) > 0:
            found.append(rel)
    return found


def _taken_back(path: Path, number: int, line: str, gone: dict[str, str]) -> bool:
    entry = entry_of(path, number, line)
    return entry is not None and gone.get(entry.get("id")) == _values(entry)  # type: ignore[arg-type]


def _entries_at(root: Path, rev: str, rel: str) -> dict[str, str] | None:
    """The entries of a ledger at ``rev`` that have an id, each as its values' text; None
    where the ledger is not there (an entry without an id, from before ids, is never dropped)."""
    shown = gitops.run(root, "show", f"{rev}:{rel}", check=False)
    if shown.returncode:
        return None
    out = {}
    for number, line in enumerate(shown.stdout.splitlines(keepends=True), 1):
        entry = entry_of(root / rel, number, line)
        if entry is not None and isinstance(entry.get("id"), str):
            out[entry["id"]] = _values(entry)
    return out


def _values(entry: dict[str, Any]) -> str:
    return json.dumps(entry, sort_keys=True, default=repr)


def entry_of(path: Path, number: int, line: str) -> dict[str, Any] | None:
    """The entry of a ledger's line (:func:`~kehu_core.store.ledgers.ledger_entry`), or None: a
    line holding none (the header) and a broken one, which a sync settling a merge keeps as it
    is, neither dropped nor rewritten: ``kehu check`` names it at its line, and the sync's own
    check of what the merge changed stops there, nothing pushed."""
    try:
        return ledger_entry(line, path, number)
    except RecordError:
        return None
