"""git's ``merge=kehu`` driver: the three files git hands it (``kehu git-merge-driver``), merged
by field (:func:`.profile_merge.merge_texts`) into ours in place, else by git's own line merge
(``git merge-file``), whose markers tell git the merge failed: a side that is no YAML mapping,
or a profile two clones each added for another customer under one id."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ..store.layout import CUSTOMER_FILE
from ..yamlio import atomic_write
from .profile_merge import MergeResult, Unmergeable, merge_texts


def given_one_id(base: str, ours: str, theirs: str) -> bool:
    """Whether two sides of a profile are two customers given one id: each clone added it (no
    common version) and they differ (two reps numbering new customers by hand, each taking the
    next number). One id holds one customer and kehu does not guess whether the two are one
    person: the driver leaves them unmerged (git's markers) and ``kehu sync`` stops before
    git's merge (``sync_guard.added_in_both``); both say how to give one a new id (``kehu
    customer reid``). A profile added alike in both (one sheet imported in each) is one."""
    return not base and bool(ours) and bool(theirs) and ours != theirs


def merge_files(base: Path, ours: Path, theirs: Path, label: str = "customer.yaml", *,
                replaying: bool = False) -> MergeResult:
    """git's driver contract: merge into ``ours`` in place; markers mean "could not merge".

    ``replaying``: git is replaying this clone's commits onto the other's (``git rebase``,
    ``git pull --rebase``), and hands the driver the other clone's version as ``ours`` and this
    clone's as ``theirs``. The sides are swapped back, so this clone's value is the one kept
    and ``conflicts:`` says ``ours`` of this clone's, as in a merge (``kehu sync`` merges).
    """
    mine, other = (theirs, ours) if replaying else (ours, theirs)
    texts = [_read(p) for p in (base, mine, other)]
    # a profile's (the driver merges interactions and visit plans too: one day's plan made in
    # both clones, or one purchase imported in both, is one record, merged by field as ever)
    profile = label.replace("\\", "/").rsplit("/", 1)[-1] == CUSTOMER_FILE
    if profile and given_one_id(*texts):  # joined, two people were one customer with both's phones and sales
        done = _line_merge(base, mine, other, label, into=ours)
        return MergeResult(done.text, markers=True, one_id_two_customers=(texts[1], texts[2]))
    try:
        result = merge_texts(*texts)
    except Unmergeable:
        return _line_merge(base, mine, other, label, into=ours)
    if result.text != _read(ours):
        atomic_write(ours, result.text)
    return result


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return ""
    except UnicodeDecodeError:
        # not UTF-8: not something we can merge by field; the line merge shows it to the user
        return "\x00"


def _line_merge(base: Path, ours: Path, theirs: Path, label: str, *, into: Path) -> MergeResult:
    """git's own line merge of ``ours`` and ``theirs``, written into ``into``: markers where
    the lines collide."""
    done = subprocess.run(
        ["git", "merge-file", "-p", "-L", f"ours:{label}", "-L", f"base:{label}", "-L", f"theirs:{label}",
         os.fspath(ours), os.fspath(base), os.fspath(theirs)],
        capture_output=True, check=False,
    )
    if done.returncode < 0 or done.returncode > 127:  # git failed (not a count of conflicts): left as it was
        return MergeResult(into.read_text(encoding="utf-8", errors="replace"), markers=True)
    # merge-file exits with the number of conflicts; a clean line merge of a broken file
    # loses nothing, and `kehu check` goes on reporting the broken line
    into.write_bytes(done.stdout)  # git's own temporary file (%A), as merge-file writes it in place
    return MergeResult(done.stdout.decode("utf-8", errors="replace"), markers=done.returncode != 0)
