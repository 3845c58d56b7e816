"""The NOTE of a customer's card: the customer's notes, then kehu's block (the latest
interactions, what is due next) after :data:`NOTE_MARK`; and, coming back from a phone, the
note as the person wrote it, kehu's block taken off."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..services.sync_messages import describe_interaction

if TYPE_CHECKING:
    from ..models import Customer

#: the line that starts what kehu adds to the NOTE (taken off again when the card comes back)
NOTE_MARK = "—— kehu ——"
#: a line of kehu's block as :func:`note_of` writes it: "最近: ", its continuation, "待办: ",
#: each followed by a date
_BLOCK_LINE = re.compile(r"(?:最近: |待办: | {6})\d{4}-\d{2}-\d{2} ")


def note_of(customer: Customer, recent: list[dict[str, Any]], due: dict[str, Any] | None) -> str | None:
    """The customer's notes, then kehu's block: the latest interactions and what is due."""
    lines = []
    for item in recent:
        lines.append(f"{item.get('date')} {describe_interaction(item)}")
    block = []
    if lines:
        block.append("最近: " + "\n      ".join(lines))
    if due:
        block.append(f"待办: {due['due']} {due['title']}")
    parts = [customer.notes] if customer.notes else []
    if block:
        parts.append(NOTE_MARK + "\n" + "\n".join(block))
    return "\n\n".join(parts) or None


def own_note(note: Any) -> Any:
    """The note as the person wrote it: kehu's block taken off. A value that is no text (an
    ``X-KEHU-NOTES`` of JSON) is left as it is, for the model to refuse: it was a 500."""
    if not note:
        return None
    if not isinstance(note, str):
        return note
    text = note.replace("\r\n", "\n")
    index = text.find(NOTE_MARK)
    if index < 0:
        return text.strip() or None
    # kehu's own lines (note_of's) end at the first line of another form: what follows was
    # typed on the phone below the block, and is the person's too (it was dropped unsaid)
    below = text[index + len(NOTE_MARK):].split("\n")[1:]
    while below and _BLOCK_LINE.match(below[0]):
        below.pop(0)
    kept = [part for part in (text[:index].strip(), "\n".join(below).strip()) if part]
    return "\n\n".join(kept) or None
