"""What `kehu check` finds wrong in a customer's ledger: a file that does not parse, entries
naming a record that is not in the customer's ``interactions/``, and what the ledger rules
(kehu's of a reminders line, the plugins' ``validate_ledger``) say, each at its entry's line."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ..errors import InvalidId, Problem, RecordError
from ..i18n import _
from ..store import Store


def ledger_problems(store: Store, path: Path) -> list[Problem]:
    """A ledger that does not parse, or whose entries name interactions that are not there."""
    name = path.name.removesuffix(".ledger.yaml")
    try:
        entries = store.ledger(path.parent.name, name)
    except RecordError as exc:
        return list(exc.problems)
    except InvalidId as exc:  # `a b.ledger.yaml`, `con.ledger.yaml`: it stopped the whole check, naming no file
        return [Problem(path, 1, _("{why}; no plugin reads this file: rename or remove it").format(why=exc))]
    problems = _orphan_entries(store, path, entries)
    # kehu's rule of a reminders line, the plugins' rules across a ledger's entries (points: none spent twice)
    found = store.ledger_rule_messages(path.parent.name, name, entries)
    if found:
        lines = _entry_lines(path)
        problems.extend(Problem(path, lines[n] if n < len(lines) else 1, problem) for n, problem in found)
    return problems


def _entry_lines(path: Path) -> list[int]:
    """The line of each entry of a ledger (one entry per line: the n-th ``- `` line)."""
    text = path.read_text(encoding="utf-8").splitlines()
    return [i for i, line in enumerate(text, 1) if line.startswith("- ")]


_INTERACTION_REF = re.compile(r"^\d{4}-\d{2}-\d{2}-[0-9a-z]+$")


def _orphan_entries(store: Store, path: Path, entries: list[dict[str, Any]]) -> list[Problem]:
    """Ledger entries that name an interaction of their customer (``ref: 2024-05-20-k3x9qa2m``,
    as the points ledger's purchase entries do) that is not in its ``interactions/`` folder:
    a purchase file deleted by hand leaves its points behind (``kehu purchase void`` keeps the
    file and reverses them)."""
    try:  # listed once: asked file by file, a folder made unreadable stopped the whole check
        # ("kehu: …/2026-11-01-x.yaml: Permission denied"), where it is one problem of its own
        present = set(os.listdir(path.parent / "interactions"))
    except FileNotFoundError:
        present = set()
    except OSError:
        return []
    lines: list[int] | None = None
    out: list[Problem] = []
    for n, entry in enumerate(entries):
        ref = entry.get("ref")
        if not isinstance(ref, str) or not _INTERACTION_REF.match(ref) or f"{ref}.yaml" in present:
            continue
        if lines is None:  # one entry per line: the n-th `- ` line is the n-th entry
            text = path.read_text(encoding="utf-8").splitlines()
            lines = [i for i, line in enumerate(text, 1) if line.startswith("- ")]
        reason = f"`reason: {entry['reason']}`" if entry.get("reason") else _("entry")  # as the file writes it
        delta = f" ({int(entry['delta']):+d})" if isinstance(entry.get("delta"), (int, float)) else ""
        out.append(Problem(path, lines[n] if n < len(lines) else 1, _(
            "{entry} refers to {ref}, which is not in interactions/ (the record was deleted; void a purchase "
            "instead: `kehu purchase void`)").format(entry=f"{reason}{delta}", ref=ref)))
    return out
