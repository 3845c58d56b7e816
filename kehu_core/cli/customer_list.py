"""``kehu customer list``: customers filtered and sorted, from the index (alone when it can)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

import click

from ..i18n import _, ngettext
from ..names import shown_values
from .context import Context, emit_json_list, pass_ctx, say_left_out
from .options import COUNT, KEY, REP
from .render import print_customers

if TYPE_CHECKING:
    from ..store import Store


#: orders of the profile itself; any other --sort is a plugin value (points, next_reminder ...)
PROFILE_ORDERS = ("name", "id", "revenue", "last_contact", "owner")


@click.command("list")
@click.option("--tag", type=KEY, help="Only customers with this tag.")
@click.option("--tier", help="Only customers in this tier (computed by the tiering plugin).")
@click.option("--owner", type=REP, help="Only customers of this rep.")
@click.option("--level", type=KEY, help="Only customers of this member level.")
@click.option("--attitude", help="Only customers of this attitude: loyal, switching or no_loyalty "
                                 "(set under `attitude:` in kehu.yaml).")
@click.option("--sort", "order", default="name", show_default=True,
              help="name, id, revenue, last_contact, owner, or a value plugins compute "
                   "(points, next_reminder, tier ...; highest points first).")
@click.option("--limit", type=COUNT, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def customer_list(ctx: Context, tag: str | None, tier: str | None, owner: str | None,
                  level: str | None, attitude: str | None, order: str, limit: int | None,
                  as_json: bool) -> None:
    """Customers, filtered and sorted, answered from the index (profiles and the values
    plugins keep there), never by reading every file. With --json each has its `attitude`
    (kehu_core.attitude) besides what plugins compute."""
    if order not in PROFILE_ORDERS and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", order):
        raise click.BadParameter(_("{order}: expected name, id, revenue, last_contact, owner or the name of a "
                                   "value plugins compute").format(order=repr(order)), param_hint="--sort")
    if (attitude is None and not as_json and order != "owner"
            and _list_from_index(ctx, tag=tag, tier=tier, owner=owner, level=level, order=order, limit=limit)):
        return
    store = ctx.store
    # one pass over the index (every customer's profile and values, a chunk at a time): a small
    # page cache, not the connection's 128 MB, which the pass filled and held to the end (a
    # --json of 10 000 customers: 60 MB of the 143 MB peak)
    with store.index.one_pass():
        _list_from_store(store, tag=tag, tier=tier, owner=owner, level=level, attitude=attitude, order=order,
                         limit=limit, as_json=as_json)


def _list_from_store(store: Store, *, tag: str | None, tier: str | None, owner: str | None, level: str | None,
                     attitude: str | None, order: str, limit: int | None, as_json: bool) -> None:
    """The list from the store opened: plugin values made fresh where needed, read a chunk at a time."""
    from ..services import derived_values
    from ..services.scoring import wanted_tiers

    tiers = wanted_tiers(store, tier) if tier is not None else None  # an unknown tier: exit 1
    wanted = None
    if attitude is not None:
        from ..attitude import attitude_filter

        wanted = attitude_filter(attitude)  # an unknown one: exit 1, naming them
    first = None if wanted is not None else limit  # the attitude filter comes after the query
    if order == "owner":
        ids = [r.customer.id for r in store.index.list(tag=tag, owner=owner, level=level, order="owner")]
        if tiers is not None:
            keep = set(derived_values.select(store, tag=tag, owner=owner, level=level, value_in={"tier": tiers}))
            ids = [cid for cid in ids if cid in keep]
        ids = ids[:first] if first else ids
    else:
        ids = derived_values.select(store, tag=tag, owner=owner, level=level,
                                    value_in={"tier": tiers} if tiers is not None else None,
                                    order=order, descending=order == "points", limit=first)
    objects = _objects(store, ids, values=as_json or tier is not None or order not in PROFILE_ORDERS)
    if as_json or wanted is not None:
        objects = _with_attitude(store, objects)
    if wanted is not None:
        objects = (o for o in objects if o["attitude"] == wanted)
        objects = islice(objects, limit) if limit else objects
    if as_json:
        emit_json_list(objects)
    else:
        objects = list(objects)
        extra = (["tier"] if tier else []) + (["attitude"] if wanted else []) + \
            ([order] if order not in PROFILE_ORDERS else [])
        print_customers([shown_values(o, store) for o in objects], list(dict.fromkeys(extra)),
                        region=store.config.region)
        click.echo(ngettext("{n} customer", "{n} customers", len(objects)).format(n=len(objects)), err=True)
    # a customer whose profile cannot be read is in no list: say how many, as `kehu handover`
    # does, rather than drop them unseen
    say_left_out(store.index.unlisted())


def _list_from_index(ctx: Context, *, tag: str | None, tier: str | None, owner: str | None, level: str | None,
                     order: str, limit: int | None) -> bool:
    """A list as a person asks for it (``customer list``, ``--tier 主要客户 --limit 20``) from
    the index alone when it is known up to date, and, for a tier or a value's order, the values
    kept there known fresh (Context.listing): no store opened, no plugin loaded, the same rows
    and order as below. False when that cannot be known, or when nobody has the tier as typed
    (another spelling, or no such tier: the store's tiers say which)."""
    keys = (("tier",) if tier is not None else ()) + ((order,) if order not in PROFILE_ORDERS else ())
    found = ctx.listing(values=bool(keys), keys=keys)
    if found is None:
        return False
    reader, listing = found
    try:
        ids = listing.select(tag=tag, owner=owner, level=level,
                             value_in={"tier": [tier.strip()]} if tier is not None else None,
                             order=order, descending=order == "points", limit=limit)
        if tier is not None and not ids:
            return False
        if not listing.fresh_for(ids):  # the values shown beside: fresh for these customers too
            return False
        extra = (["tier"] if tier else []) + ([order] if order not in PROFILE_ORDERS else [])
        objects = listing.objects(ids, table_for=reader.region)
        if listing.plugins is not None:  # values: kehu's tier names in the user's language
            objects = [shown_values(o, mine=listing.written) for o in objects]
        print_customers(objects, list(dict.fromkeys(extra)), region=reader.region)
        click.echo(ngettext("{n} customer", "{n} customers", len(objects)).format(n=len(objects)), err=True)
        say_left_out(reader.records().unlisted())
        return True
    finally:
        reader.close()


def _with_attitude(store: Store, objects: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    from ..attitude import NONE, attitudes

    found = attitudes(store)
    for obj in objects:
        obj.update(found.get(obj["id"], NONE).as_json())
        yield obj


#: customers turned into JSON at a time: plugins answer a chunk in one pass (next_reminder),
#: and a list of 100 000 never holds every object or the whole JSON text at once
_CHUNK = 2000


def _objects(store: Store, ids: list[str], *, values: bool) -> Iterator[dict[str, Any]]:
    """The customers' JSON objects, a chunk at a time, read as the index keeps them."""
    from ..services.derived_values import customer_objects

    for first in range(0, len(ids), _CHUNK):
        yield from customer_objects(store, ids[first:first + _CHUNK], values=values)
