"""``kehu purchase add`` and ``kehu interaction add``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import click

from ..clock import read_day
from ..i18n import _
from ..ids import check_id
from ..models import INTERACTION_KINDS, text_missing
from ..money import NotPlainDigits, number_text, size_problem, typed_amount
from .context import Context, pass_ctx
from .options import COUNT as COUNT  # for plugins' options, with DATE
from .options import REP as REP
from .options import Whole


class DateType(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: Any, ctx: Any) -> dt.date:
        if isinstance(value, dt.date):
            return value
        day = read_day(str(value))  # the one spelling and range of a typed day, --today's too
        if isinstance(day, str):
            self.fail(day, param, ctx)
        return day


class MoneyType(click.ParamType):
    name = "AMOUNT"

    def convert(self, value: Any, param: Any, ctx: Any) -> Decimal:
        try:
            amount = typed_amount(str(value))  # -0 is 0, never ¥-0.00; nothing rounded
        except NotPlainDigits as exc:
            self.fail(str(exc), param, ctx)
        except InvalidOperation:
            self.fail(_("{value} is not an amount; expected a number like 1288.00").format(value=repr(value)),
                      param, ctx)
        if not amount.is_finite() or amount < 0:
            self.fail(_("{value}: expected a non-negative amount").format(value=repr(value)), param, ctx)
        size = size_problem(amount)  # 1e9999 is finite, and no amount
        if size is not None:
            self.fail(f"{value!r}: {size}", param, ctx)
        return amount


class QuantityType(click.ParamType):
    """A quantity: any number (the model holds it finite, above 0 and to its digits). click's own
    ``Decimal`` type let ``0x10``, ``.inf``, ``1,5`` or an empty value through as an "internal
    error: InvalidOperation"."""

    name = "DECIMAL"  # as click's Decimal type was named: a weighed 0.5 is a quantity

    def convert(self, value: Any, param: Any, ctx: Any) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:  # NaN and infinity are numbers the model refuses ("expected a finite number")
            return Decimal(number_text(str(value)).strip())
        except NotPlainDigits as exc:
            self.fail(str(exc), param, ctx)
        except InvalidOperation:
            self.fail(_("{value} is not a quantity; expected a number like 2 or 0.5").format(value=repr(value)),
                      param, ctx)


DATE = DateType()
MONEY = MoneyType()
QTY = QuantityType()


@click.group("purchase")
def purchase_group() -> None:
    """Record purchases."""


@purchase_group.command("add")
@click.argument("customer_id")
@click.option("--date", "date", type=DATE, help="Default: today (--today).")
@click.option("--item", multiple=True, help="Product name; repeat for several items.")
@click.option("--qty", multiple=True, type=QTY, help="Quantity of the item at the same position.")
@click.option("--price", multiple=True, type=MONEY, help="Unit price of the item at the same position.")
@click.option("--amount", type=MONEY, help="Total amount (default: the sum of qty × price).")
@click.option("--gift", multiple=True, help="Gift given with the purchase.")
@click.option("--due", type=DATE,
              help="Payment due date, for purchases on credit (default: `purchases: credit_days` after --date).")
@click.option("--paid/--unpaid", "paid", default=None,
              help="Paid now, or on credit (default: `purchases: default_paid` in kehu.yaml).")
@click.option("--credit", is_flag=True, help="On credit: the same as --unpaid.")
@click.option("--over-limit", "over_limit", metavar="REASON",
              help="Let a sale on credit go over the customer's credit limit, saying why "
                   "(kept on the purchase); without it such a sale is refused.")
@click.option("--allow-future", is_flag=True, help="Accept a --date after today.")
@click.option("--note", "text", help="Free text.")
@click.option("--by", type=REP, help="The rep who made the sale.")
@pass_ctx
def purchase_add(ctx: Context, customer_id: str, date: dt.date | None, item: tuple[str, ...],
                 qty: tuple[Decimal, ...], price: tuple[Decimal, ...], amount: Decimal | None,
                 gift: tuple[str, ...], due: dt.date | None, paid: bool | None, credit: bool,
                 over_limit: str | None, allow_future: bool, text: str | None, by: str | None) -> None:
    """Record a purchase: --item NAME [--qty N] [--price P] ..., or --amount A.

    Paid or on credit as --paid / --unpaid (--credit) say, else as kehu.yaml's
    `purchases: default_paid` says; stderr says which. A sale on credit that would take what
    the customer owes over their credit limit is refused with the figures (exit 1, nothing
    written) unless --over-limit REASON. The new purchase's id is the last line of stdout
    (for `kehu purchase pay` and `kehu purchase void`)."""
    from ..services import payments

    if credit:
        if paid:
            raise click.UsageError(_("--paid and --credit contradict each other"))
        paid = False
    if over_limit is not None and paid:
        raise click.UsageError(_("--over-limit is for a sale on credit, not a --paid one"))
    if over_limit is not None and not over_limit.strip():
        raise click.UsageError(_("--over-limit needs a reason"))
    if not item and amount is None:
        raise click.UsageError(_("give at least one --item, or an --amount"))
    if len(qty) > len(item) or len(price) > len(item):
        raise click.UsageError(_("each --qty and --price belongs to an --item before it"))
    items = []
    for pos, name in enumerate(item):
        entry: dict[str, Any] = {"name": name, "qty": qty[pos] if pos < len(qty) else Decimal(1)}
        if pos < len(price):
            entry["price"] = price[pos]
        items.append(entry)
    if amount is None and any("price" not in i for i in items):
        raise click.UsageError(_("give a --price for every --item, or an --amount"))
    purchase = payments.record_purchase(ctx.store, check_id(customer_id, "customer id"), {
        "date": date or ctx.store.today, "items": items, "amount": amount,
        "gifts": list(gift), "due": due, "text": text, "by": by,
    }, paid=paid, allow_future=allow_future, over_limit=over_limit)
    click.echo(f"¥{purchase.amount} {payments.terms(purchase)}", err=True)
    if purchase.over_limit is not None:
        o = purchase.over_limit
        click.echo(_("over the credit limit ¥{limit} (owed before ¥{owed}): {reason}").format(
            limit=f"{o.limit:,.2f}", owed=f"{o.outstanding:,.2f}", reason=o.reason), err=True)
    click.echo(purchase.id)


@purchase_group.command("pay")
@click.argument("customer_id")
@click.argument("purchase_id", metavar="PURCHASE", required=False)
@click.option("--amount", type=MONEY, help="How much was paid (default: all that is owed).")
@click.option("--date", "date", type=DATE, help="When it was paid. Default: today (--today).")
@click.option("--by", type=REP, help="Who took the money (default: the customer's owner).")
@click.option("--allow-future", is_flag=True, help="Accept a --date after today.")
@pass_ctx
def purchase_pay(ctx: Context, customer_id: str, purchase_id: str | None, amount: Decimal | None,
                 date: dt.date | None, by: str | None, allow_future: bool) -> None:
    """Record a payment towards a purchase on credit: part of what is owed with --amount,
    else all of it. More than is owed is refused. Receivables, reminders and points follow.
    Without PURCHASE: the customer's one purchase with something owed (several: named)."""
    from ..services import payments

    customer_id = check_id(customer_id, "customer id")
    purchase_id = purchase_id or payments.the_one_owing(ctx.store, customer_id)
    done = payments.pay(ctx.store, customer_id, purchase_id, amount=amount,
                        date=date, by=by, allow_future=allow_future)
    p = done.purchase
    state = _("paid in full") if done.settled else _("¥{owed} still owed").format(owed=p.owed)
    click.echo(_("{name}: ¥{amount} paid on {date} towards {purchase} (¥{paid} of ¥{total}); {state}").format(
        name=done.customer_name, amount=done.payment["amount"], purchase=p.id,
        date=done.payment["date"].isoformat(), paid=p.paid_amount, total=p.amount, state=state))


@purchase_group.command("void")
@click.argument("customer_id")
@click.argument("purchase_id", metavar="PURCHASE")
@click.option("--reason", help="Why it is taken back (kept on the purchase).")
@click.option("--by", type=REP, help="Who voided it (default: the customer's owner).")
@pass_ctx
def purchase_void(ctx: Context, customer_id: str, purchase_id: str, reason: str | None,
                  by: str | None) -> None:
    """Void a purchase entered by mistake or taken back: it stays in the customer's history,
    marked voided; revenue, receivables, reports and reminders leave it out and its points are
    reversed. Voiding twice is refused."""
    from ..services import payments

    p = payments.void(ctx.store, check_id(customer_id, "customer id"), purchase_id, reason=reason, by=by)
    click.echo(_("voided {purchase} (¥{amount}, {date})").format(purchase=p.id, amount=p.amount,
                                                                 date=p.date.isoformat())
               + (f": {p.voided.reason}" if p.voided and p.voided.reason else ""))
    if p.paid_amount or p.paid:
        click.echo(_("note: ¥{amount} was paid on it; a refund is not recorded by kehu").format(
            amount=p.paid_amount if p.payments else p.amount), err=True)


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
@click.option("--rating", type=Whole(1, 5), help="Feedback: 1-5.")
@click.option("--channel", help="Messages: wechat, sms, email ...")
@click.option("--by", type=REP, help="The rep who recorded it.")
@click.option("--allow-future", is_flag=True, help="Accept a --date after today.")
@pass_ctx
def interaction_add(ctx: Context, customer_id: str, kind: str, date: dt.date | None, text: str,
                    status: str | None, time: str | None, resolution: str | None,
                    rating: int | None, channel: str | None, by: str | None,
                    allow_future: bool) -> None:
    """Record an interaction with a customer."""
    if (missing := text_missing(kind, text)) is not None:
        raise click.BadParameter(missing, param_hint="--text")
    data: dict[str, Any] = {"kind": kind, "date": date or ctx.store.today, "text": text, "by": by}
    extras = {"status": (status, "complaint"), "time": (time, "complaint"), "resolution": (resolution, "complaint"),
              "rating": (rating, "feedback"), "channel": (channel, "message")}
    for key, (value, allowed_kind) in extras.items():
        if value is not None:
            if kind != allowed_kind:
                raise click.UsageError(_("--{option} is only for --kind {kind}").format(option=key, kind=allowed_kind))
            data[key] = value
    interaction = ctx.store.add_interaction(check_id(customer_id, "customer id"), data,
                                            allow_future=allow_future)
    click.echo(interaction.id)

