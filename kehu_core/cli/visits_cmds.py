"""``kehu visits plan|cards|done``: today's visits and their 客户资料卡 (docs/visits.md).

The plan is :mod:`kehu_core.visits.plan`; the cards' content :mod:`kehu_core.visits.cards`
and their PDF :mod:`kehu_core.visits.pdf` (reportlab, imported only by ``visits cards``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from ..errors import FutureDate, KehuError, shown_path
from ..i18n import N_, _
from ..models import on_one_line
from ..names import shown
from .context import Context, emit_json, pass_ctx, say_left_out
from .options import REP, TypedPath
from .records import DATE
from .render import terminal_safe

if TYPE_CHECKING:
    from ..store import Store

#: names of the waiting customers the text lists (--json lists them all)
WAITING_SHOWN = 10


def _ids(values: tuple[str, ...]) -> tuple[str, ...]:
    """``--order a,b --order c`` → (a, b, c); commas (also full-width) or repeats. Each id as
    typed: the store refuses one holding a space (``ids.check_id``), as every other door does
    (``--add ' ID'`` had its spaces taken off and was planned)."""
    out: list[str] = []
    for value in values:
        out.extend(v for v in value.replace("，", ",").split(",") if v)
    return tuple(out)


@click.group("visits")
def visits_group() -> None:
    """Today's visits: whom to see, their customer cards as a PDF, how it went."""


@visits_group.command("plan")
@click.option("--owner", required=True, help="The rep whose day it is.")
@click.option("--date", "day", type=DATE, help="The day (default: today).")
@click.option("--add", "add", multiple=True, metavar="ID", help="Visit this customer too (repeatable).")
@click.option("--remove", "remove", multiple=True, metavar="ID", help="Not this customer on this day (repeatable).")
@click.option("--order", "order", multiple=True, metavar="ID,ID...",
              help="These visits first, in this order; the rest follow as ranked.")
@click.option("--reset", is_flag=True, help="Drop the rep's changes to this day's plan first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def plan_cmd(ctx: Context, owner: str, day: dt.date | None, add: tuple[str, ...], remove: tuple[str, ...],
             order: tuple[str, ...], reset: bool, as_json: bool) -> None:
    """Whom REP visits on the day and in what order, each with why: open complaints, overdue
    payments, key accounts due a visit, birthdays this week, dormant large customers, and
    the rep's own additions. --add/--remove/--order/--reset change the plan (kept in
    visits/REP/DATE.yaml in the store); at most `visits: day_limit` visits (kehu.yaml)."""
    from ..visits.plan import edit_plan, make_plan

    store = ctx.store
    day = day or store.today
    order_ids = _ids(order)
    if add or remove or order_ids or reset:
        where = edit_plan(store, owner, day, add=_ids(add), remove=_ids(remove), order=order_ids, reset=reset)
        click.echo(_("plan changes saved in {where}").format(
            where=where) if where else _("the plan has no changes of the rep's"), err=True)
    plan = make_plan(store, owner, day)
    if as_json:
        emit_json(plan.to_json())
    else:
        _print_plan(plan, store)
    # a customer whose profile cannot be read is in no plan (nor are their complaints or debts):
    # said, as the lists say it, rather than dropped unseen
    say_left_out(store.index.unlisted())


def _print_plan(plan: object, store: Store) -> None:
    from ..phones import display_phone
    from ..visits.plan import VisitPlan

    assert isinstance(plan, VisitPlan)
    owner = terminal_safe(plan.owner)  # as typed (`--owner`): an ESC in it drove the terminal
    if not plan.visits:
        click.echo(_("{owner} has no visits planned on {day}").format(owner=owner, day=plan.day), err=True)
        if not plan.customers:
            click.echo(_("kehu: no customer has owner {owner!r} (kehu customer list --owner)").format(
                owner=plan.owner), err=True)
    for number, visit in enumerate(plan.visits, 1):
        c = visit.customer
        head = [f"{number}. {c.name}", shown(visit.values.get("tier"), store) or "",
                display_phone(c.phones[0], store.config.region) if c.phones else "",
                c.addresses[0] if c.addresses else ""]
        # the visit's note on the visit's line: its line breaks a line of its own, a forged visit
        done = "  ✓ " + _("visited: {text}").format(text=on_one_line(visit.visited.text)) if visit.visited else ""
        click.echo(terminal_safe("  ".join(h for h in head if h) + f"  [{c.id}]{done}"))
        for reason in visit.reasons:
            click.echo(terminal_safe(f"     {reason.to_json()['label']}: {reason.text}"))
    if plan.waiting:
        names = "、".join(v.customer.name for v in plan.waiting[:WAITING_SHOWN])
        names += "……" if len(plan.waiting) > WAITING_SHOWN else ""
        click.echo(_("waiting ({waiting}, beyond the day's {limit}): {names}").format(
            waiting=len(plan.waiting), limit=plan.limit, names=names))
    if plan.gone:
        click.echo(_("kehu: the rep's plan adds {ids}, no longer in the store (merged into another customer or "
                     "deleted): left out; `kehu visits plan --remove ID` takes it off the plan").format(
            ids=", ".join(plan.gone[:WAITING_SHOWN]) + ("……" if len(plan.gone) > WAITING_SHOWN else "")), err=True)
    changes = _("; the rep's changes: {file}").format(file=plan.plan_file) if plan.plan_file else ""
    click.echo(_("{visits} visits for {owner} on {day}{changes}").format(
        visits=len(plan.visits), owner=owner, day=plan.day, changes=changes), err=True)


@visits_group.command("cards")
@click.option("--owner", required=True, help="The rep whose day it is.")
@click.option("--date", "day", type=DATE, help="The day (default: today).")
@click.argument("out", type=TypedPath(dir_okay=False), metavar="OUT.pdf")  # as typed (export_targets.check_target)
@pass_ctx
def cards_cmd(ctx: Context, owner: str, day: dt.date | None, out: str) -> None:
    """The customer cards of the day's visits as a PDF: one A6 card per page, in the plan's order
    (contact, family, interests, character, last purchases, complaints, what is owed, points,
    talking points and what to bring)."""
    from .. import confidential
    from ..services.export_targets import check_target, shared_note, write_target
    from ..visits.cards import cards_for
    from ..visits.plan import make_plan

    store = ctx.store
    # before any work: nothing created on a bad path; cards made with the user's key print the
    # confidential fields it opens (family, personality) in plain
    plain = bool(store.config.confidential.fields) and confidential.has_identity(store)
    target = check_target(store, out, N_("OUT.pdf"), plain_secrets=plain)
    plan = make_plan(store, owner, day or store.today)
    cards = cards_for(store, plan)
    from ..visits.pdf import render

    data = render(cards, title=_("{owner} {day} customer cards").format(owner=plan.owner, day=plan.day))
    write_target(target, lambda path: path.write_bytes(data))
    click.echo(_("wrote {cards} cards to {out}").format(cards=len(cards), out=shown_path(target)), err=True)
    if note := shared_note(store, target):
        click.echo(note, err=True)
    say_left_out(store.index.unlisted())  # as the plan says it


@visits_group.command("done")
@click.argument("customer_id", metavar="ID")
@click.option("--outcome", required=True, help="How the visit went (what was agreed, what to do next).")
@click.option("--date", "day", type=DATE, help="The day of the visit (default: today).")
@click.option("--by", type=REP, help="Who visited (default: the customer's rep).")
@pass_ctx
def done_cmd(ctx: Context, customer_id: str, outcome: str, day: dt.date | None, by: str | None) -> None:
    """Record a visit to customer ID and its outcome (an interaction of kind visit)."""
    from ..visits.plan import NoOutcome, record_visit

    store = ctx.store
    try:
        visit = record_visit(store, customer_id, outcome, day, by)
    except NoOutcome as exc:
        raise KehuError(_("--outcome: {problem}").format(problem=exc)) from None
    except FutureDate as exc:  # its words offer --allow-future, which this command has not
        raise KehuError(_("{problem}: a visit is recorded once it has been made").format(
            problem=exc.problem)) from None
    name = store.get(customer_id).name
    click.echo(_("recorded visit {id} to {name} on {date}").format(id=visit.id, name=name, date=visit.date), err=True)
    click.echo(visit.id)
