"""``kehu customer set``: a customer's fields changed by ``FIELD=VALUE`` (``+=``/``-=`` on a list),
and the reading of those assignments, which ``customer add --set`` shares."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import click

from ..errors import KehuError
from ..i18n import _
from ..ids import check_id
from ..keytext import key_text
from .context import Context, pass_ctx

if TYPE_CHECKING:
    from ..models import Customer

def parse_assignments(customer: Customer, pairs: tuple[str, ...], region: str = "CN") -> dict[str, Any]:
    """``name=赵敏 tags=VIP,老客户 phones+=139... tags-=VIP`` → field changes. ``region``: the
    store's, in which a phone given to ``phones-=`` is read as ``phones+=`` reads it."""
    changes: dict[str, Any] = {}
    fields = type(customer).model_fields
    for pair in pairs:
        # a field's name is any text the model takes (one line, no control character: 微信 as a
        # shop names its own field; ASCII alone was taken), trimmed and composed (keytext)
        match = re.match(r"^([^=]+?)\s*([+-]?=)(.*)$", pair, re.S)
        if not match or not key_text(match.group(1)):
            raise click.UsageError(
                _("{pair!r}: expected FIELD=VALUE (or FIELD+=VALUE / FIELD-=VALUE)").format(pair=pair))
        key, op, value = match.groups()
        key = key_text(key)
        # here: a search or a show from the index loads no model
        from ..models.customer import field_name_problem
        from ..models.typed_lists import typed_addresses, typed_list

        if (problem := field_name_problem(key)) is not None:  # the argument named, not the file
            raise click.UsageError(f"{pair!r}: {problem}")
        if key == "id":
            raise KehuError(_("the id of a customer cannot be changed"))
        info = fields.get(key)
        is_list = info is not None and "list" in str(info.annotation)
        current = changes.get(key, getattr(customer, key, None))
        if is_list:
            # an address holds commas and `/`: cut at `;` `；` and line ends alone
            items = typed_addresses(value) if key == "addresses" else typed_list(value)
            if op == "+=":
                changes[key] = [*(current or []), *items]
            elif op == "-=":
                changes[key] = _removed(key, current or [], items, region)
            else:
                changes[key] = items
        elif op != "=":
            raise click.UsageError(_("{key}: {op} only works on list fields").format(key=key, op=op))
        elif value == "" and info is not None and info.is_required():
            # "empty removes it", but a customer has a name: the model's "Field required" was said
            # at the file's line, as if the file were wrong
            raise KehuError(_("{key}=: a customer's {key} cannot be removed (an empty value removes a field); "
                              "give the new one: {key}=VALUE").format(key=key))
        else:
            changes[key] = value if value != "" else None
    return changes


def _removed(key: str, current: list[str], items: list[str], region: str) -> list[str]:
    """``current`` less ``items``, each matched as the field keeps it: ``phones-=158 8354 5920``
    (the number as `customer show` shows it, or as typed) removed nothing from ``+8615883545920``
    and said "updated", exit 0, where ``phones+=`` of it is taken as that number; an email in
    any case. An item matching none of the values is refused, naming what there is."""
    from ..models.contacts import normalise_email, normalise_phone

    def kept_as(value: str) -> str:
        try:
            if key == "phones":
                return normalise_phone(value, region)
            if key == "emails":
                return normalise_email(value).casefold()
        except ValueError:
            pass
        return value.casefold() if key == "emails" else value

    gone = {kept_as(v) for v in items}
    missing = [v for v in items if kept_as(v) not in {kept_as(c) for c in current}]
    if missing:
        raise KehuError(_("{key}-={value}: not one of this customer's {key} ({values})").format(
            key=key, value=missing[0], values=", ".join(current) or "-"))
    return [v for v in current if kept_as(v) not in gone]


@click.command("set")
@click.argument("customer_id")
@click.argument("assignments", nargs=-1, required=True)
@pass_ctx
def customer_set(ctx: Context, customer_id: str, assignments: tuple[str, ...]) -> None:
    """Change fields: FIELD=VALUE (empty removes it); lists: tags=a,b  tags+=c  tags-=a.

    Only the lines of the changed fields change in the YAML file.
    """
    store = ctx.store
    check_id(customer_id, "customer id")
    # read, computed (tags+=x from what is read) and written under one hold of the lock: a
    # colleague's `customer set` of another field at the same moment waits, then both stand
    # (read before the lock, one of the two was refused as "changed by someone else")
    with store.lock():
        _set_fields(ctx, customer_id, assignments)


def _set_fields(ctx: Context, customer_id: str, assignments: tuple[str, ...]) -> None:
    store = ctx.store
    version = store.file_version(customer_id) if store.exists(customer_id) else None
    customer = store.get(customer_id)
    if customer.sealed and any(re.match(r"^\s*\w+\s*[+-]=", a) for a in assignments):
        from ..confidential import revealed

        opened = revealed(store, customer)  # tags+=x of an encrypted list adds to its plain value
        customer = opened.customer
        for name in opened.locked:
            if any(re.match(rf"^\s*{name}\s*[+-]=", a) for a in assignments):
                raise KehuError(_("{name} is encrypted and your key cannot open it: replace it whole "
                                  "({name}=...), or give the identity it is encrypted to (--identity)"
                                  ).format(name=name))
    changes = parse_assignments(customer, assignments, store.config.region)
    updated = store.update_customer(customer.id, changes, expect_version=version)
    # said as it is: `phones+=` of a number it has already, `level=金卡` of a 金卡 said "updated"
    # a confidential field reads as None on both sides: its encrypted text says whether it changed
    changed = [name for name in changes if getattr(updated, name, None) != getattr(customer, name, None)
               or updated.sealed.get(name) != customer.sealed.get(name)]
    if changed:
        click.echo(_("updated {id}: {fields}").format(id=customer.id, fields=", ".join(changed)), err=True)
    else:
        click.echo(_("nothing to change in {id}: {fields} already as given").format(
            id=customer.id, fields=", ".join(changes)), err=True)
    if "owner" in changes and customer.sealed:
        from ..confidential import has_identity

        if not has_identity(store):
            click.echo("kehu: " + _("its confidential fields stay encrypted to the former owner until "
                                    "someone who can read them runs `kehu keys rotate`"), err=True)
