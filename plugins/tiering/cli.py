"""``kehu tier``: the distribution, who is in which tier, who moved; record and override."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click
from pydantic import ValidationError

from kehu_core.cli import Context, emit_json, pass_ctx, say_left_out
from kehu_core.cli.helpformat import width
from kehu_core.cli.records import COUNT, DATE
from kehu_core.errors import FutureDate, KehuError
from kehu_core.i18n import _
from kehu_core.ids import check_id
from kehu_core.left_out import SKIPPED
from kehu_core.models import LedgerEntry
from kehu_core.names import shown
from kehu_core.plugins import require_enabled
from kehu_core.problems import validation_problems
from kehu_core.shown import visible
from kehu_core.store import LEDGER_SUFFIX, Store

from .moves import SCHEMES, move_text, moves, record_if_changed
from .tier_settings import LEDGER, NAME, OVERRIDE_FIELD, kept_tier, settings
from .tiers import compute, distribution, tier_of


def overview(store: Store, as_of: dt.date | None, recent_days: int = 30, listed: int | None = None) -> dict[str, Any]:
    """What ``kehu tier --json`` prints: :func:`.tiers.distribution` and the recent moves;
    ``listed``: the first so many customers of each tier (None: all, as ``--json`` has them)."""
    data = distribution(store, as_of, listed)
    end = dt.date.fromisoformat(data["window"]["end"])
    return {**data, "recent_changes": recent_changes(store, end - dt.timedelta(days=recent_days))}


def recent_changes(store: Store, since: dt.date) -> list[dict[str, Any]]:
    """Tier moves recorded on or after ``since``, newest first (reads only existing ledgers)."""
    out = []
    for cid in store.index.customers_with_ledger(f"{LEDGER}{LEDGER_SUFFIX}"):
        row = store.index.get(cid)
        for n, entry in enumerate(moves(store.ledger(cid, LEDGER))):
            day = entry.get("date")
            if isinstance(day, dt.date) and day >= since:
                plain = {k: str(v) if isinstance(v, dt.date) else v for k, v in entry.items()}
                out.append((n, {"customer_id": cid, "name": row.customer.name if row else cid, **plain}))
    # a customer's moves of one day newest first too: the later line is the later move
    return [e for _n, e in sorted(out, key=lambda ne: (ne[1]["date"], ne[1]["customer_id"], ne[0]), reverse=True)]


@click.group("tier", invoke_without_command=True)
@click.option("--as-of", type=DATE, help="End of the window (default: today or tiering.as_of).")
@click.option("--show", "show", type=COUNT, default=5, show_default=True,
              help="Customers listed per tier in the table (all of them in --json).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
@click.pass_context
def tier_group(click_ctx: click.Context, ctx: Context, as_of: dt.date | None, show: int,
               as_json: bool) -> None:
    """Customer tiers: distribution, customers per tier and recent moves."""
    if click_ctx.invoked_subcommand is not None:
        return
    store = ctx.store
    require_enabled(store, NAME)
    data = overview(store, as_of, listed=None if as_json else show)
    if as_json:
        emit_json(data)
        say_left_out(ctx.unlisted())  # in no tier: said, never dropped unseen
        return
    window = data["window"]
    scheme = _(SCHEMES[data["scheme"]]) if data["scheme"] in SCHEMES else data["scheme"]
    click.echo(_("{scheme} tiers by revenue {start} .. {end}").format(
        scheme=scheme, start=window["start"], end=window["end"]))
    names = {d["tier"]: str(shown(d["tier"], store)) for d in data["distribution"]}
    column = max((width(n) for n in names.values()), default=8)
    for d in data["distribution"]:
        people = data["tiers"][d["tier"]]
        name = names[d["tier"]]
        click.echo(f"  {name}{' ' * (column - width(name))} {d['customers']:>5} "
                   + _("customers ({share})").format(share=f"{d['share']:.0%}")
                   + f"  ¥{d['revenue']:>12} " + _("({share} of revenue)").format(share=f"{d['revenue_share']:.0%}"))
        for p in people[:show]:
            mark = "  " + _("(manual)") if p["overridden"] else ""
            click.echo(f"      {p['id']}  {visible(p['name'])}  ¥{p['revenue']}{mark}")
        if d["customers"] > show:
            click.echo("      " + _("... {count} more").format(count=d["customers"] - show))
    if data["recent_changes"]:
        click.echo(_("moves in the last 30 days:"))
        for c in data["recent_changes"]:
            click.echo(f"  {c['date']}  {visible(c['name'])}: {move_text(store, c)}")
    say_left_out(ctx.unlisted())


@tier_group.command("record")
@click.option("--as-of", type=DATE, help="End of the window (default: today or tiering.as_of).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def tier_record(ctx: Context, as_of: dt.date | None, as_json: bool) -> None:
    """Append a ledger entry for every customer whose tier differs from the last recorded one.

    Run it on a schedule (e.g. monthly): windows move, so tiers drift without any purchase.
    """
    store = ctx.store
    require_enabled(store, NAME)
    tiers = compute(store, as_of)
    try:  # a window not yet ended: its sales are not known (2199-12-31 moved everyone to the bottom)
        store.check_not_future(tiers.as_of, "--as-of" if as_of else "plugins: tiering: as_of")
    except FutureDate as exc:  # its words offer --allow-future, which this command has not
        raise KehuError(_("{problem}: a tier move is recorded for a window that has ended").format(
            problem=exc.problem)) from None
    changes = []
    for row in store.index.list(order="id"):
        cid = row.customer.id
        tier, why = tier_of(store, cid, getattr(row.customer, OVERRIDE_FIELD, None), tiers.as_of)
        entry = record_if_changed(store, cid, tier, f"review; {why}", tiers.as_of)
        if entry:
            changes.append({"customer_id": cid, "name": row.customer.name, "from": entry["from"],
                            "to": entry["to"]})
    if as_json:
        emit_json(changes)
        say_left_out(ctx.unlisted(), SKIPPED)  # no profile row: their tier is not reviewed, said
        return
    for c in changes:
        click.echo(f"{c['customer_id']}  {visible(c['name'])}: {move_text(store, c, why=False)}")
    click.echo(_("{count} tier change(s) recorded").format(count=len(changes)), err=True)
    say_left_out(ctx.unlisted(), SKIPPED)


@tier_group.command("set")
@click.argument("customer_id")
@click.argument("tier", required=False)
@click.option("--clear", is_flag=True, help="Remove the override: back to the computed tier.")
@click.option("--reason", default="manual override", show_default="manual override",  # said in the language
              help="Why (kept in the ledger).")
@pass_ctx
def tier_set(ctx: Context, customer_id: str, tier: str | None, clear: bool, reason: str) -> None:
    """Pin a customer to TIER (a manual override), or --clear it."""
    store = ctx.store
    require_enabled(store, NAME)
    if bool(tier) == clear:
        raise click.UsageError(_("give a TIER, or --clear"))
    customer = store.get(check_id(customer_id, "customer id"))
    try:  # the move's line, checked before the override is written: a reason the ledger refuses (a
        # terminal's colour codes pasted) left the customer pinned, no move recorded, exit 1
        LedgerEntry.model_validate({"date": store.today, "why": reason})
    except ValidationError as exc:
        raise KehuError(*(_("--reason: {problem}").format(problem=p.reason or p.message)
                          for p in validation_problems(exc, "--reason"))) from None
    if tier and kept_tier(store, tier) is None:  # as kept (主要客户) or as shown (Major customers)
        raise KehuError(_("{tier!r} is not a tier of this store; expected one of {names}").format(
            tier=tier, names=", ".join(str(shown(n, store)) for n in settings(store).tier_names())))
    # written as every door writes the field: the name kept as the store keeps it, by the
    # plugin's kept_customer_fields (Store.door_write)
    updated = store.update_customer(customer.id, {OVERRIDE_FIELD: None if clear else tier})
    tier = getattr(updated, OVERRIDE_FIELD, None)
    new, why = tier_of(store, customer.id, tier)
    record_if_changed(store, customer.id, new, f"{reason}; {why}", store.today)
    click.echo(f"{visible(customer.name)} ({customer.id}): {shown(new, store)}", err=True)
