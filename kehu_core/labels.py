"""What kehu calls the keys it keeps, as a person reads them: one home for the CLI, the TUI,
the visit cards and the reports.

The records and ``--json`` keep the keys (``phones``, ``next_reminder``, ``kind: visit``); where
a person reads them they are these names, in the user's language (the English here is the
message id, marked with ``N_`` and translated when shown). A key kehu does not know (a plugin's
own field or value) is shown as it is: it is the plugin's name for it.
"""

from __future__ import annotations

from .i18n import N_, _

#: a customer's fields and the values the built-in plugins compute (tier, points, abc ...)
FIELD_LABELS = {
    "id": N_("ID"), "name": N_("Name"), "phones": N_("Phones"), "emails": N_("Emails"), "tags": N_("Tags"),
    "owner": N_("Owner"), "level": N_("Level"), "birthday": N_("Birthday"), "lunar_birthday": N_("Lunar birthday"),
    "referrer": N_("Referred by"), "organization": N_("Company"), "title": N_("Job title"),
    "nickname": N_("Nickname"), "addresses": N_("Addresses"), "notes": N_("Notes"), "created": N_("Created"),
    "tier": N_("Tier"), "points": N_("Points"), "points_expiring": N_("Points expiring"),
    "next_reminder": N_("Next reminder"), "do_not_contact": N_("Do not contact"),
    "credit_status": N_("Credit"), "credit_limit": N_("Credit limit"), "payment_terms": N_("Payment terms"),
    "family": N_("Family"), "personality": N_("Personality"), "interests": N_("Interests"),
    "also_known": N_("Also known as"), "conflicts": N_("Conflicts"), "wechat": N_("WeChat"),
    "credit": N_("Credit grade"), "abc": N_("ABC class"), "rfm": N_("RFM score"), "rfm_segment": N_("RFM segment"),
    "attitude": N_("Attitude"), "attitude_reason": N_("Attitude: why"),
}

#: the kinds of interaction (the files keep the kind)
KIND_LABELS = {
    "purchase": N_("purchase"), "visit": N_("visit"), "call": N_("call"), "message": N_("message"),
    "complaint": N_("complaint"), "feedback": N_("feedback"), "note": N_("note"),
}


#: the built-in plugins' ledgers (``points.ledger.yaml``, ``tiers.ledger.yaml``)
LEDGER_LABELS = {"tiers": N_("tiers"), "points": N_("points"), "reminders": N_("reminders")}


def ledger_label(name: str) -> str:
    """A ledger's name in the user's language (a plugin's own ledger: its file's name)."""
    label = LEDGER_LABELS.get(name)
    return _(label) if label else name


def field_label(key: str) -> str:
    """A field's (or a built-in value's) name in the user's language; a plugin's own: its key."""
    label = FIELD_LABELS.get(key)
    return _(label) if label else key


def fields_label(spec: str) -> str:
    """``field_label`` of each field of ``a|b`` (either one: kehu.yaml's ``reps: card_fields``)."""
    return " / ".join(field_label(part.strip()) for part in spec.split("|"))


def kind_label(kind: str) -> str:
    """An interaction's kind in the user's language (a kind kehu does not know: as kept)."""
    label = KIND_LABELS.get(kind)
    return _(label) if label else kind
