"""``kehu points ID``, ``points redeem``, ``points rebuild``, ``points expire``."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

import click

from kehu_core.cli import Context, Whole, emit_json, pass_ctx, say_left_out
from kehu_core.cli.records import DATE
from kehu_core.errors import KehuError
from kehu_core.i18n import _
from kehu_core.ids import check_id
from kehu_core.left_out import SKIPPED
from kehu_core.models import Purchase, on_one_line
from kehu_core.plugins import require_enabled
from kehu_core.shown import visible
from kehu_core.store import LEDGER_SUFFIX, Store

from .book import LEDGER, NAME, book_of, earn, earning_day, reason_text, redeem, referral, settings, write_off


class _ShowByDefault(click.Group):
    """``kehu points ID`` means ``kehu points show ID``; subcommand names still win."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _store(ctx: Context) -> Store:
    store = ctx.store
    require_enabled(store, NAME)
    settings(store)  # bad settings stop every command with kehu.yaml:line, not halfway
    return store


def pad(text: str, columns: int) -> str:
    """``text`` padded to ``columns`` terminal columns (a Chinese character takes two)."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(columns - used, 0)


@click.group("points", cls=_ShowByDefault)
def points_group() -> None:
    """Loyalty points: `kehu points ID` shows the balance and ledger."""


@points_group.command("show")
@click.argument("customer_id")
@click.option("--as-of", type=DATE, help="Balance on this day (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def points_show(ctx: Context, customer_id: str, as_of: dt.date | None, as_json: bool) -> None:
    """A customer's balance, points lapsing within 30 days, and every ledger entry."""
    store = _store(ctx)
    customer = store.get(check_id(customer_id, "customer id"))
    day = as_of or store.today
    book = book_of(store, customer.id, day)
    data = {
        "id": customer.id,
        "name": customer.name,
        "as_of": day.isoformat(),
        "balance": book.balance,
        "lapsed_not_written_off": book.lapsed,
        "expiring_30_days": book.expiring(day + dt.timedelta(days=30)),
        "ledger": [{k: _plain(v) for k, v in e.items()} for e in book.entries],
    }
    if as_json:
        emit_json(data)
        return
    # the name by the rule of every listing (shown.visible): a zero-width space in a second 张三
    # made it look as the first
    click.echo(_("{name} ({id}): {balance} points").format(
        name=visible(customer.name), id=customer.id, balance=book.balance))
    if data["expiring_30_days"]:
        click.echo("  " + _("{count} lapse within 30 days").format(count=data["expiring_30_days"]))
    for e in data["ledger"]:
        # the reason as typed may hold line breaks or a direction control: on the entry's line
        extra = on_one_line(str(e.get("note") or e.get("ref") or ""))
        click.echo(f"  {e['date']}  {pad(reason_text(e['reason']), 8)} {int(e['delta']):>+7}  {extra}")


@points_group.command("redeem")
@click.argument("customer_id")
@click.argument("points", type=Whole(min=1))
@click.option("--reason", help="What the points paid for (kept as written, beside the redemption).")
@pass_ctx
def points_redeem(ctx: Context, customer_id: str, points: int, reason: str | None) -> None:
    """Spend POINTS; refused (exit 1, nothing written) if the balance is smaller."""
    store = _store(ctx)
    customer = store.get(check_id(customer_id, "customer id"))
    book = redeem(store, customer, points, reason, store.today)
    click.echo(_("{name} ({id}): redeemed {points}, {balance} left").format(
        name=visible(customer.name), id=customer.id, points=points, balance=book.balance))


@points_group.command("void")
@click.argument("entry_id")
@click.option("--customer", "customer_id", help="The customer whose ledger holds it (when two ledgers do).")
@pass_ctx
def points_void(ctx: Context, entry_id: str, customer_id: str | None) -> None:
    """Take one points entry back by its id (`kehu points show ID --json` lists them): one given
    twice by two clones, which `kehu check` and a refused `kehu sync` name with this command.
    The entry's line leaves the ledger; `kehu undo` puts it back."""
    store = _store(ctx)
    wanted = check_id(entry_id, "entry id")
    holding = ([cid for cid in [check_id(customer_id, "customer id")] if store.ledger_has(cid, LEDGER, id=wanted)]
               if customer_id else store.customers_with_ledger_entry(LEDGER, wanted))
    if len(holding) > 1:
        raise KehuError(_("points entry {id} is in the ledgers of {customers}; name one with `--customer ID`; "
                          "nothing was changed").format(id=wanted, customers=", ".join(holding)))
    entry = store.take_back_ledger_entry(holding[0], LEDGER, wanted) if holding else None
    if entry is None:
        raise KehuError(_("no points entry has the id {id}{where} (`kehu points show ID --json` lists each entry's "
                          "id); nothing was changed").format(
            id=wanted, where=_(" in the ledger of {customer}").format(customer=customer_id) if customer_id else ""))
    customer = store.get(holding[0])
    click.echo(_("took back points entry {id} of {name} ({customer}): {reason} {delta:+d} of {date}; "
                 "{balance} points now").format(
        id=wanted, name=visible(customer.name), customer=customer.id, reason=reason_text(entry.get("reason")),
        delta=int(entry.get("delta", 0)), date=_plain(entry.get("date")),
        balance=book_of(store, customer.id, store.today).balance))


@points_group.command("rebuild")
@click.argument("customer_ids", nargs=-1)
@click.option("--since", type=DATE, help="Only purchases on or after this day.")
@click.option("--dry-run", is_flag=True, help="Show what would be awarded; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def points_rebuild(
    ctx: Context, customer_ids: tuple[str, ...], since: dt.date | None, dry_run: bool, as_json: bool
) -> None:
    """Award points for purchases that have none yet (recorded before the plugin was on,
    imported, or written by hand). Safe to run again: a purchase never earns twice."""
    store = _store(ctx)
    ids = [check_id(c, "customer id") for c in customer_ids] or store.index.ids()
    awarded = []
    for cid in ids:
        customer = store.get(cid)
        known = {e.get("ref") for e in store.ledger(cid, LEDGER) if e.get("reason") == "purchase"}
        for purchase in store.interactions(cid):
            if not isinstance(purchase, Purchase) or (since and purchase.date < since):
                continue
            if dry_run:
                if purchase.id not in known and earning_day(store, purchase) is not None:
                    awarded.append({"customer_id": cid, "reason": "purchase", "ref": purchase.id})
                continue
            for entry in (earn(store, customer, purchase), referral(store, customer, purchase)):
                if entry:
                    owner = customer.referrer if entry["reason"] == "referral" else cid
                    awarded.append({"customer_id": owner, **{k: _plain(v) for k, v in entry.items()}})
    # every customer but those whose customer.yaml has a problem (no profile in the index): their
    # purchases earn nothing in this run, said rather than dropped unseen; one named is an error
    skipped = 0 if customer_ids else ctx.unlisted()
    if as_json:
        emit_json(awarded)
        say_left_out(skipped, SKIPPED)
        return
    total = sum(int(a.get("delta", 0)) for a in awarded)
    verb = _("would award {count} entries, {total} points") if dry_run else _("awarded {count} entries, {total} points")
    click.echo(verb.format(count=len(awarded), total=total), err=True)
    say_left_out(skipped, SKIPPED)


@points_group.command("expire")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def points_expire(ctx: Context, as_json: bool) -> None:
    """Write off lapsed points of every customer (one `expire` entry each). Run it daily or
    monthly; balances shown elsewhere already leave lapsed points out."""
    store = _store(ctx)
    today = store.today
    ids = store.index.customers_with_ledger(f"{LEDGER}{LEDGER_SUFFIX}")
    done = [{"customer_id": cid, "expired": n} for cid in ids if (n := write_off(store, cid, today))]
    if as_json:
        emit_json(done)
        return
    click.echo(_("{points} points lapsed for {count} customers").format(
        points=sum(d["expired"] for d in done), count=len(done)), err=True)
