"""The domain: customers (客户档案) and what happens with them (purchases, visits, calls ...).

Validation needs the store's default phone region, passed as pydantic context
``store.validation_context()`` (``region_context(region)`` without a store); without it CN
is assumed.

One module per kind of thing: ``customer`` (the profile, its limits), ``referrals`` (loops of
them), ``typed_lists`` (a list typed as one text), ``interactions`` (every kind read by its
``kind``; visit, call, message, feedback, note), ``purchase`` and ``complaint`` (those two kinds,
with their payments and moves), ``plugin_data`` (a reminder, a ledger line), ``fields`` (the
field types: money, dates, phones, yes/no), ``contacts`` (the phone and email rules) and
``hostile`` (what no record holds: deep nesting, control characters). The names plugins and
other doors use are imported here.
"""

from __future__ import annotations

from ..entrypoints import skip_pydantic_plugin_scan

skip_pydantic_plugin_scan()  # before any model validates: see the function

# after the call above: importing these defines the models
from ..money import CENT  # noqa: E402
from .complaint import COMPLAINT_STATES, Complaint, ComplaintState, ComplaintStep  # noqa: E402
from .contacts import normalise_email, normalise_phone, region_problem  # noqa: E402
from .customer import (  # noqa: E402
    MAX_ADDRESS,
    MAX_CONTACTS,
    MAX_LONG,
    MAX_SHORT,
    MAX_TAGS,
    MAX_TEXT,
    Customer,
)
from .fields import (  # noqa: E402
    TRUSTED,
    Amount,
    Day,
    Email,
    Flag,
    Money,
    Phone,
    Quantity,
    check_birthday,
    check_lunar_birthday,
    parse_flag,
    region_context,
    shows_something,
)
from .hostile import CONTROL_CHARACTERS, MAX_FIELDS, MAX_VALUES, on_one_line, one_line_problem, too_deep  # noqa: E402
from .interaction_base import InteractionBase  # noqa: E402
from .interactions import (  # noqa: E402
    INTERACTION_KINDS,
    Call,
    Feedback,
    Interaction,
    Message,
    Note,
    Visit,
    parse_interaction,
    text_missing,
)
from .plugin_data import LedgerEntry, Reminder  # noqa: E402
from .purchase import LineItem, OverLimit, Payment, Purchase, Voided  # noqa: E402
from .referrals import referral_loop, referral_loop_message, referral_loops  # noqa: E402

__all__ = [
    "CENT", "COMPLAINT_STATES", "CONTROL_CHARACTERS", "INTERACTION_KINDS", "MAX_ADDRESS", "MAX_CONTACTS",
    "MAX_FIELDS", "MAX_LONG", "MAX_SHORT", "MAX_TAGS", "MAX_TEXT", "MAX_VALUES", "TRUSTED", "Amount", "Call",
    "Complaint", "ComplaintState",
    "ComplaintStep", "Customer", "Day", "Email", "Feedback", "Flag", "Interaction", "InteractionBase",
    "LedgerEntry", "LineItem", "Message", "Money", "Note", "OverLimit", "Payment", "Phone", "Purchase",
    "Quantity", "Reminder", "Visit", "Voided", "check_birthday", "check_lunar_birthday", "normalise_email",
    "normalise_phone", "on_one_line", "one_line_problem", "parse_flag", "parse_interaction", "referral_loop",
    "referral_loop_message", "region_context",
    "referral_loops", "region_problem", "shows_something", "text_missing", "too_deep",
]
