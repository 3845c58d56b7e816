"""Customer fields as form text and back: which fields, how lists are typed, what changed.

The model (with plugin fields) decides what is valid; this module only translates between
what a person types and the values ``store.update_customer`` takes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from kehu_core.i18n import N_, _
from kehu_core.models.typed_lists import addresses_text, typed_addresses, typed_list
from kehu_core.problems import field_messages, validation_problems

from ..customer.profile import label

if TYPE_CHECKING:
    from kehu_core.models import Customer
    from kehu_core.store import Store

READ_ONLY = {"id"}
HINTS = {
    "phones": "139 1234 5678, +44 7700 900123",
    "emails": "a@example.com, b@example.com",
    "addresses": N_("one; another (separate with ;)"),
    "tags": "VIP, 老客户",
    "interests": "品茶, 书法",
    "birthday": N_("YYYY-MM-DD or --MM-DD"),
    "lunar_birthday": N_("MM-DD (lunar calendar), or in Chinese"),
    "created": "YYYY-MM-DD",
    "referrer": N_("customer id"),
}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    kind: str  # text | list | addresses | bool
    hint: str = ""


def form_fields(store: Store) -> list[FieldSpec]:
    """Every field of the store's customer model (plugin fields too), in model order."""
    out = []
    for name, info in store.customer_model.model_fields.items():
        if name in READ_ONLY:
            continue
        annotation = str(info.annotation)
        kind = "bool" if info.annotation is bool else "list" if "list" in annotation else "text"
        if name == "addresses":
            kind = "addresses"
        out.append(FieldSpec(name, label(name), kind, _(HINTS.get(name, ""))))
    return out


def to_text(spec: FieldSpec, value: Any) -> str:
    if value in (None, [], False):
        return ""
    if spec.kind == "bool":
        return "yes"
    if spec.kind == "addresses":
        return addresses_text(value)
    if spec.kind == "list":
        return ", ".join(str(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def from_text(spec: FieldSpec, text: str) -> Any:
    """Typed text → the value for ``update_customer`` (None removes the field)."""
    text = text.strip()
    if spec.kind == "bool":
        return True if text == "yes" else None  # None removes the line; False would stay
    if spec.kind == "list":
        return typed_list(text) or None
    if spec.kind == "addresses":
        return typed_addresses(text) or None
    return text or None


def changes_of(specs: list[FieldSpec], original: Customer, typed: dict[str, str]) -> dict[str, Any]:
    """Only the fields whose text differs from what was loaded: an untouched field is never
    rewritten (so ``139 1234 5678`` typed elsewhere is not reformatted by a save here)."""
    changes = {}
    for spec in specs:
        if spec.name not in typed:
            continue
        before = to_text(spec, getattr(original, spec.name, None))
        if typed[spec.name].strip() != before.strip():
            changes[spec.name] = from_text(spec, typed[spec.name])
    return changes


def field_errors(store: Store, original: Customer, changes: dict[str, Any]) -> dict[str, str]:
    """Validate the profile as it would be saved; messages by field name."""
    data = original.model_dump(mode="python")
    data.update(changes)
    data = {k: v for k, v in data.items() if v not in (None, [], "")}
    try:
        customer = store.customer_model.model_validate(data, context=store.validation_context())
    except ValidationError as exc:
        return field_messages(validation_problems(exc, "(form)"), whole="name")
    if (problem := store.referrer_problem(changes.get("referrer"), original.id)) is not None:
        return {"referrer": problem}
    # what every write refuses beyond the model (a birthday after today, a plugin's rule), under
    # its field before saving; a problem the record already had is left for `kehu check`, as
    # the save itself leaves it (Store.door_write)
    place = store.customer_file(original.id)
    before = {p.message for p in store.door_problems(place, original)}
    # judged as it is saved: a plugin's field as the plugin keeps it (a tier typed as shown)
    customer, _kept = store.kept_customer(customer, changes)
    return field_messages([p for p in store.door_problems(place, customer) if p.message not in before], whole="name")
