"""Profile fields named as a value a plugin computes: refused at every door.

A plugin's ``customer_values`` (the tier, points, the next reminder) are shown beside the
profile and win over a profile field of the same name, so ``customer set ID tier=金卡`` or an
imported ``points`` column would be stored and never shown, while an export wrote the stored
text: two answers to one question. A plugin that computes values refuses fields of their names
in its ``validate_customer`` rule with :func:`computed_field_messages`; that rule is asked
before every write of a profile (``customer set``, the TUI, an import, a phone's card, a
merge) and by ``kehu check`` for a hand edit (docs/plugins.md, "Values a plugin computes").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .i18n import N_, _
from .models.hostile import escaped_text

if TYPE_CHECKING:
    from .models import Customer


def computed_field_messages(customer: Customer, computed: Mapping[str, str]) -> list[str]:
    """``validate_customer`` messages for fields of ``customer``'s profile named as a key of
    ``computed`` (value name → how the plugin computes it, and how to change it instead)."""
    extra = customer.model_extra
    if not extra:  # (most profiles: nothing to compare, asked of each by `kehu check`)
        return []
    # spelt another way too (``Tier``, ``POINTS``, an invisible character before it: column_key):
    # `customer show` printed `Tier  钻石会员` beside the tier kehu computes, `check` ok
    keys = {column_key(name): name for name in computed}
    return [_("{field}: kehu computes this value ({how}), so a profile field of that name would "
              "never be shown; remove it (`kehu customer set {id} {field}=`)").format(
                  field=escaped_text(name), how=computed[keys[key]], id=customer.id)
            for name in extra if isinstance(name, str) and (key := column_key(name)) in keys]


#: what ``kehu customer show`` (its text and ``--json``) adds to a profile under these names,
#: computed by kehu itself: a profile field so named (``customer set ID purchases=1``) was
#: stored, hidden by the computed value in ``show`` and written by an export. Refused as the
#: plugins' values are (asked by ``Store.rule_problems``).
SHOWN_BY_KEHU: Mapping[str, str] = {
    "purchases": N_("the customer's purchases"), "interactions": N_("the customer's interactions"),
    "credit_status": N_("their credit and what they owe"), "attitude": N_("kehu.yaml's attitude: rules"),
    "attitude_reason": N_("kehu.yaml's attitude: rules"),
    "locked": N_("the confidential fields your key cannot open"),
}


def shown_by_kehu_messages(customer: Customer) -> list[str]:
    """Messages for profile fields named as what ``customer show`` computes (:data:`SHOWN_BY_KEHU`)."""
    if not customer.model_extra:
        return []
    return computed_field_messages(customer, {name: _(how) for name, how in SHOWN_BY_KEHU.items()})


def column_key(header: str) -> str:
    """A sheet's column header as an import matches it to a field: case, spaces, ``_``, a
    colon and characters of no width or shape aside (``Credit Limit``, ``credit_limit`` and
    ``CREDITLIMIT`` are one column). Those are Unicode's format characters (a zero-width space,
    a byte order mark, a word joiner, a soft hyphen): `\u200bowner` by hand showed as `owner`
    in `customer show`, with no owner to any filter, and its export's column was read as owner."""
    if not header.isascii():
        header = "".join(c for c in header if unicodedata.category(c) != "Cf")
    return _ASIDE.sub("", header).lower()


_ASIDE = re.compile(r"[\s_:：]")


@functools.lru_cache(maxsize=64)
def _fields_by_key(model: type[Customer]) -> dict[str, str]:
    """Each field of ``model`` by its :func:`column_key` (a model's fields never change: made
    once a model, not once a profile of `kehu check`)."""
    return {column_key(name): name for name in model.model_fields}


def spelled_as_field_messages(customer: Customer) -> list[str]:
    """Messages for a profile's own field spelt as one of its model's fields another way (``Name``
    beside ``name``, ``OWNER``, ``credit limit``): an export writes both as columns and an import
    reads them as one field (a sheet with both is refused; before, the later column became the
    customer's name). Asked by ``Store.rule_problems``, so every door that writes a profile
    refuses one and `kehu check` names one a hand edit wrote."""
    if not customer.model_extra:
        return []
    fields = _fields_by_key(type(customer))
    return [_("{field}: spelt as kehu's field {known} another way, so an export's column of it is read as {known} "
              "by an import; rename it (or move its value into {known})").format(field=escaped_text(name),
                                                                                 known=fields[key])
            for name in (customer.model_extra or {})
            if (key := column_key(name)) in fields and fields[key] != name]
