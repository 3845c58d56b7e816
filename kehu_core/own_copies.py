"""Copies of what kehu hands to a plugin's code (a customer, an interaction, a ledger's
entries), each the plugin's own: a third party's change of what it was given never reaches the
next plugin or kehu (``plugins.guards.given_to``, the TUI's columns and panels in ``handed``).
Apart from both, which each use it, so neither imports the other for it."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel


def own_copy(value: Any) -> Any:
    """``value`` as one implementation's own: a record (a customer, an interaction) copied deep,
    a ledger's entries each a dict of its own (their values are dates, numbers and texts); a
    value Python cannot copy (an object of its own in a field) is given as it is."""
    try:
        return copied(value)
    except Exception:
        return value


def copied(value: Any) -> Any:
    """:func:`own_copy`, raising what Python cannot copy."""
    if isinstance(value, BaseModel):
        # each field copied as plain data: a record read for an edit holds the round-trip
        # loader's lists and mappings (ruamel's, with their comments and places), whose deep
        # copy grows with the square of their length — a profile's `also_known` of 2 000
        # customers merged into it made every `customer set` of it take 22 s
        fields = {name: plain_copy(item) for name, item in value.__dict__.items()}
        extra = {name: plain_copy(item) for name, item in (value.model_extra or {}).items()}
        twin = value.model_copy(update={**fields, **extra})
        if value.__pydantic_private__:  # (the sealed texts of confidential fields: a few)
            twin.__pydantic_private__ = copy.deepcopy(value.__pydantic_private__)
        return twin
    if isinstance(value, list):
        return [{k: copy.deepcopy(v) if isinstance(v, (list, dict, set)) else v for k, v in item.items()}
                if isinstance(item, dict) else copied(item) if isinstance(item, BaseModel) else copy.deepcopy(item)
                for item in value]
    return value


def plain_copy(value: Any) -> Any:
    """``value`` copied deep, its lists and mappings (ruamel's too) as plain ones."""
    if isinstance(value, (str, int, float, type(None))):
        return value  # (a text, a number: as it is, never changed in place)
    if isinstance(value, BaseModel):
        return copied(value)
    if isinstance(value, dict):
        return {key: plain_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_copy(item) for item in value]
    return copy.deepcopy(value)
