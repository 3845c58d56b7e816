"""``kehu purchase add`` and ``kehu interaction add``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import click

from ..ids import check_id
from ..models import INTERACTION_KINDS
from . import Context, pass_ctx


class DateType(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: Any, ctx: Any) -> dt.date:
        if isinstance(value, dt.date):
            return value
        text = str(value).strip().replace("/", "-")
        try:
            return dt.date(*map(int, text.split("-")))
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a date; expected YYYY-MM-DD", param, ctx)


class MoneyType(click.ParamType):
    name = "AMOUNT"

    def convert(self, value: Any, param: Any, ctx: Any) -> Decimal:
        try:
            amount = Decimal(str(value).replace(",", "").replace("¥", "").strip())
        except InvalidOperation:
            self.fail(f"{value!r} is not an amount; expected a number like 1288.00", param, ctx)
        if not amount.is_finite() or amount < 0:
            self.fail(f"{value!r}: expected a non-negative amount", param, ctx)
        return amount


DATE = DateType()
MONEY = MoneyType()


@click.group("purchase")
def purchase_group() -> None:
    """Record purchases."""


@purchase_group.command("add")
@click.argument("customer_id")
@click.option("--date", "date", type=DATE, help="Default: today (--today).")
@click.option("--item", multiple=True, help="Product name; repeat for several items.")
@click.option("--qty", multiple=True, type=Decimal, help="Quantity of the item at the same position.")
@click.option("--price", multiple=True, type=MONEY, help="Unit price of the item at the same position.")
@click.option("--amount", type=MONEY, help="Total amount (default: the sum of qty × price).")
@click.option("--gift", multiple=True, help="Gift given with the purchase (购物赠品).")
@click.option("--due", type=DATE, help="Payment due date, for purchases on credit.")
@click.option("--paid", is_flag=True, help="The purchase is paid.")
@click.option("--note", "text", help="Free text.")
@click.option("--by", help="The rep who made the sale.")
@pass_ctx
def purchase_add(ctx: Context, customer_id: str, date: dt.date | None, item: tuple[str, ...],
                 qty: tuple[Decimal, ...], price: tuple[Decimal, ...], amount: Decimal | None,
                 gift: tuple[str, ...], due: dt.date | None, paid: bool, text: str | None,
                 by: str | None) -> None:
    """Record a purchase: --item NAME [--qty N] [--price P] ..., or --amount A."""
    if not item and amount is None:
        raise click.UsageError("give at least one --item, or an --amount")
    if len(qty) > len(item) or len(price) > len(item):
        raise click.UsageError("each --qty and --price belongs to an --item before it")
    items = []
    for pos, name in enumerate(item):
        entry: dict[str, Any] = {"name": name, "qty": qty[pos] if pos < len(qty) else Decimal(1)}
        if pos < len(price):
            entry["price"] = price[pos]
        items.append(entry)
    if amount is None and any("price" not in i for i in items):
        raise click.UsageError("give a --price for every --item, or an --amount")
    interaction = ctx.store.add_interaction(check_id(customer_id, "customer id"), {
        "kind": "purchase", "date": date or ctx.store.today, "items": items, "amount": amount,
        "gifts": list(gift), "due": due, "paid": paid, "text": text, "by": by,
    })
    click.echo(interaction.id)


@click.group("interaction")
def interaction_group() -> None:
    """Record visits, calls, messages, complaints, feedback and notes."""


@interaction_group.command("add")
@click.argument("customer_id")
@click.option("--kind", required=True, type=click.Choice([k for k in INTERACTION_KINDS if k != "purchase"]))
@click.option("--date", "date", type=DATE, help="Default: today (--today).")
@click.option("--text", required=True, help="What happened.")
@click.option("--status", type=click.Choice(["open", "resolved"]),
              help="Complaints: open (the default) or resolved; `kehu complaint` moves it along.")
@click.option("--time", "time", metavar="HH:MM",
              help="Complaints: when it was received (default: now, when --date is today).")
@click.option("--resolution", help="Complaints: how it was resolved.")
@click.option("--rating", type=click.IntRange(1, 5), help="Feedback: 1-5.")
@click.option("--channel", help="Messages: wechat, sms, email ...")
@click.option("--by", help="The rep who recorded it.")
@pass_ctx
def interaction_add(ctx: Context, customer_id: str, kind: str, date: dt.date | None, text: str,
                    status: str | None, time: str | None, resolution: str | None,
                    rating: int | None, channel: str | None, by: str | None) -> None:
    """Record an interaction with a customer."""
    data: dict[str, Any] = {"kind": kind, "date": date or ctx.store.today, "text": text, "by": by}
    if kind == "complaint" and time is None and data["date"] == ctx.store.today:
        time = ctx.store.now().strftime("%H:%M")  # deadlines count from when it was received
    extras = {"status": (status, "complaint"), "time": (time, "complaint"), "resolution": (resolution, "complaint"),
              "rating": (rating, "feedback"), "channel": (channel, "message")}
    for key, (value, allowed_kind) in extras.items():
        if value is not None:
            if kind != allowed_kind:
                raise click.UsageError(f"--{key} is only for --kind {allowed_kind}")
            data[key] = value
    interaction = ctx.store.add_interaction(check_id(customer_id, "customer id"), data)
    click.echo(interaction.id)


def register(cli: click.Group) -> None:
    cli.add_command(purchase_group)
    cli.add_command(interaction_group)
