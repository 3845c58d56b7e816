"""What a merge left for a person, as ``kehu check``, ``kehu sync`` and the TUI say it: each
``conflicts:`` entry a field merge wrote (:mod:`kehu_core.services.profile_merge`) as a
``path:line`` problem that says what to do, and git's conflict markers in a file."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..i18n import _
from ..models.hostile import escaped_text
from ..yamlio import line_of, lines_doc
from ..yamlio.files import marker_line  # noqa: F401 - the one home; sync and check ask it here
from .profile_merge import CONFLICTS_KEY, MISSING

#: the most of one version of a value a conflict's message quotes (a note may be 2 MiB)
SHOWN_CHARS = 200


def _show(value: Any) -> str:
    """One version of a value, as a problem quotes it: on the problem's one line (a line break
    of a note escaped, ``\\x0a``: printed as it was, a colleague's line of the note stood as a
    problem of its own in `kehu check`), and cut short (the whole value is in the file)."""
    if value is MISSING:
        return _("(absent)")
    text = (", ".join(str(v) for v in value) or _("(empty)")) if isinstance(value, list) else str(value)
    cut = text[:SHOWN_CHARS]
    return escaped_text(cut) + ("…" if len(text) > SHOWN_CHARS else "")


CONFLICT_PREFIX = "merge conflict"  # how every conflict problem begins (kehu sync sorts by it)


def conflict_message(customer_id: str | None, entry: Any) -> str:
    """One ``conflicts:`` entry as a sentence that says what to do about it (``customer_id``
    None: an interaction's file, edited by hand or with ``kehu edit``). It begins with
    :data:`CONFLICT_PREFIX` in every language (``kehu sync`` sorts by it)."""
    if not isinstance(entry, Mapping) or "field" not in entry:
        return CONFLICT_PREFIX + " " + _("entry without a `field:`; expected field, ours, theirs, base")
    name = str(entry["field"])
    if name == "voided" and isinstance(entry.get("paid"), list):
        return _paid_while_voided_message(entry)
    sides = {"name": name, "ours": _show(entry.get("ours", MISSING)),
             "theirs": _show(entry.get("theirs", MISSING)), "base": _show(entry.get("base", MISSING))}
    copy_of = entry.get("copy_of")
    if copy_of is not None:  # two customers' copies of one record, joined by `kehu customer merge`
        said = _("on {name}: kept {ours} (this customer's copy), the copy customer {other} held had "
                 "{theirs}; ").format(**sides, other=copy_of)
    else:
        said = _("on {name}: kept {ours} (this clone), the other clone had {theirs} (before both: "
                 "{base}); ").format(**sides)
    top = name.split(".")[0]
    if customer_id is None:
        what = _("choose the value of {top} in this file and delete the `conflicts:` entry").format(top=top)
    else:
        what = _("choose with `kehu customer set {id} {top}=...` and then remove the entry (`kehu "
                 "customer set {id} conflicts=` clears them all)").format(id=customer_id, top=top)
    return f"{CONFLICT_PREFIX} {said}{what}"


def _paid_while_voided_message(entry: Mapping[str, Any]) -> str:
    ours, theirs = entry.get("ours", MISSING), entry.get("theirs", MISSING)
    mark = ours if isinstance(ours, Mapping) else theirs if isinstance(theirs, Mapping) else {}
    def amount(value: Any) -> str:  # 300.00, as kehu writes it (YAML reads it back as 300.0)
        try:
            return format(Decimal(str(value)), ".2f")
        except ArithmeticError:
            return str(value)

    paid = "; ".join(" ".join(amount(p[k]) if k == "amount" else str(p[k])
                              for k in ("amount", "date", "by") if p.get(k) is not None)
                     for p in entry["paid"] if isinstance(p, Mapping))
    return CONFLICT_PREFIX + " " + _(
        "on voided: this purchase was voided on {date}{by} in one clone while it was paid in the other "
        "({paid}): money taken for a sale taken back. Refund it and delete the payment's line, or (the sale "
        "stands) delete `voided:`; then delete the `conflicts:` entry").format(
        date=mark.get("date", "?"), by=f" by {mark['by']}" if mark.get("by") else "", paid=paid)


def has_conflicts(customer: Any) -> bool:
    return bool((getattr(customer, "model_extra", None) or {}).get(CONFLICTS_KEY))


def conflict_problems(path: Path, customer: Any) -> list[Problem]:
    """``path:line`` problems for each recorded conflict of a loaded customer (none: fast)."""
    extra = getattr(customer, "model_extra", None) or {}
    entries = extra.get(CONFLICTS_KEY)
    return entry_problems(path, customer.id, entries) if entries else []


def entry_problems(path: Path, customer_id: str | None, entries: Any) -> list[Problem]:
    if not isinstance(entries, list):
        entries = [entries]
    doc = lines_doc(path)
    return [Problem(path, line_of(doc, [CONFLICTS_KEY, i]), conflict_message(customer_id, entry))
            for i, entry in enumerate(entries)]
