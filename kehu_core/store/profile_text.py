"""A profile's YAML text: a new file's fields in their order, fields put in their lines."""

from __future__ import annotations

from typing import Any

from .. import yamlio as _yamlio
from ..keytext import composed
from ..models import Customer
from ..yamlio import dump_new, dump_roundtrip, to_plain_yaml_value
from .layout import FIELD_ORDER


def composed_name(name: Any) -> Any:
    """A field's name as the model reads it: composed (NFC; ``models.composed_names``)."""
    return composed(name) if isinstance(name, str) else name


def new_field_position(doc: Any, key: str) -> int:
    """Where a new field goes: after the last present field that comes before it canonically."""
    if key not in FIELD_ORDER:
        return len(doc)
    rank = FIELD_ORDER.index(key)
    keys = list(doc)
    pos = 0
    for i, existing in enumerate(keys):
        if existing in FIELD_ORDER and FIELD_ORDER.index(existing) < rank:
            pos = i + 1
    return pos


def with_values(text: str, values: dict[str, Any]) -> str:
    """A profile's ``text`` with these fields' values replaced in their lines (comments kept),
    or added where :func:`new_field_position` puts a new field."""
    from ruamel.yaml.scalarstring import PlainScalarString

    doc = _yamlio.roundtrip_yaml().load(text)
    spelt = {composed_name(k): k for k in doc}
    for key, value in values.items():
        if key in spelt:
            # quoted only if it must be: ruamel gives a new text the quotes of the one it
            # replaces (' Small customers ', typed with spaces, made '小客户')
            one_line = isinstance(value, str) and "\n" not in value and "\r" not in value
            doc[spelt[key]] = PlainScalarString(value) if one_line else to_plain_yaml_value(value)
        else:
            doc.insert(new_field_position(doc, key), key, to_plain_yaml_value(value))
    return dump_roundtrip(doc, like=text)


def text_doc(text: str) -> Any:
    """The round-trip document of a text about to be written, for the lines of its fields
    (a profile's or an interaction's)."""
    try:
        return _yamlio.roundtrip_yaml().load(text)
    except Exception:  # only for line numbers: line 1 will do
        return None


def new_profile_text(customer: Customer) -> str:
    """The text of a new profile file of ``customer`` (validated, nothing to seal): what
    :meth:`CustomerWritesMixin.add_customer` writes for it."""
    return dump_new(compact_values(customer))


def compact_values(customer: Customer) -> dict[str, Any]:
    """The fields worth writing: set, non-empty, non-default, in a stable order."""
    data = customer.model_dump(mode="python")
    out: dict[str, Any] = {}
    for key in [*FIELD_ORDER, *[k for k in data if k not in FIELD_ORDER]]:
        value = data.get(key)
        if value in (None, [], "") or (key == "do_not_contact" and value is False):
            continue
        out[key] = value
    return out
