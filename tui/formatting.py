"""How values look on screen: one place, so the list, the detail and the today screen agree."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from kehu_core.errors import FutureDate
from kehu_core.i18n import _
from kehu_core.phones import display_phone


def text(value: Any, *, amounts: bool = True) -> str:
    """Plugin values and profile fields as short text (None → empty). ``amounts=False``: a
    field kehu does not know, whose exact number (a Decimal: more digits than a float keeps) is
    no amount of money: shown as written, not as ¥ rounded to the fen."""
    if value is None or value is False:
        return ""
    if value is True:
        return _("yes")
    if isinstance(value, Decimal):
        return money(value) if amounts else format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return reminder(value) if "due" in value or "title" in value else ", ".join(
            f"{k}: {text(v, amounts=amounts)}" for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return ", ".join(text(v, amounts=amounts) for v in value)
    return str(value)


def reminder(value: Any) -> str:
    """A ``next_reminder`` value: ``{"due": ..., "title": ...}`` or plain text."""
    if isinstance(value, dict):
        parts = [text(value.get("due")), text(value.get("title") or value.get("rule"))]
        return " ".join(p for p in parts if p)
    return text(value)


def money(value: Any) -> str:
    if value in (None, ""):
        return ""
    return f"¥{Decimal(str(value)):,.2f}"


def phone(value: str | None, region: str) -> str:
    """A stored (E.164) phone as people write it in the store's ``region``: the CLI's rule
    (``kehu_core.phones.display_phone``), so both show ``139 1234 5678`` the same way."""
    return display_phone(value, region)


def interaction_summary(record: Any) -> str:
    """What happened, in one line: items for a purchase, the text otherwise."""
    items = getattr(record, "items", None)
    if items:
        return ", ".join(f"{i.name}×{i.qty}" for i in items)
    return getattr(record, "text", None) or ""


def refused(exc: Exception) -> str:
    """A refusal of the store's rules as a form says it: a date after today (``FutureDate``)
    with what can be done in the form, which has no ``--allow-future`` as the CLI has; any
    other as it is."""
    if isinstance(exc, FutureDate):
        return _("{problem}: type today's date or an earlier one").format(problem=exc.problem)
    return str(exc)
