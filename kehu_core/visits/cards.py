"""What a 客户资料卡 (customer card) shows, as plain data; :mod:`.pdf` lays it out.

Seed 000: before a visit know the person's name, age, address, phone, history, interests,
character, family, social ties and recent business. A card has the contact and address,
birthday and age, family, interests, character, the last purchases and amounts, open
complaints, what is owed, points, and talking points and what to bring, both drawn from why
the customer is on the day's list.

Figures come from their homes: what is owed from :func:`kehu_core.services.payments.owing`,
open complaints from :func:`kehu_core.complaints.complaints`, age and birthdays from
:mod:`kehu_core.calendar`, tier and points from the plugins (``customer_values``).

Confidential fields (family, personality, notes ... when kehu.yaml lists them under
``confidential: fields``) are opened by :func:`readable_fields` through the confidential
module's public :func:`kehu_core.confidential.revealed`, the one place a card reads them: a
value the user's identity cannot read is shown as :data:`LOCKED`, never as its ciphertext.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .. import calendar
from .. import complaints as cp
from ..i18n import N_, _
from ..labels import field_label
from ..models import Customer, Purchase, Visit
from ..names import shown

if TYPE_CHECKING:
    from ..store import Store
    from .plan import PlannedVisit, VisitPlan

#: what a card prints for a confidential field the user's identity cannot read
LOCKED = N_("[confidential: not yours to read]")
# The card's words are English here, marked for the catalog and printed through _() in the
# user's language (the Chinese card is the one the shops print)
#: what to say and bring, by the reason the customer is on the list
TALK = {
    "complaint": N_("Follow up the complaint: {text}; say how it is being handled, make sure they are satisfied"),
    "overdue": N_("Go through the account, agree a day to pay ({text})"),
    "cadence": N_("Regular visit: go over what was agreed last time, ask about new needs"),
    "birthday": N_("Congratulate: {text}"),
    "dormant": N_("Ask how they are and why they stopped buying, show what is new ({text})"),
    "planned": N_("A visit the rep planned"),
}
BRING = {
    "complaint": N_("The complaint's solution (and a replacement)"),
    "overdue": N_("Statement of account, payment QR code"),
    "cadence": N_("New products catalogue"),
    "birthday": N_("Birthday present, card"),
    "dormant": N_("New products' samples, vouchers"),
}
ALWAYS_BRING = N_("Business card; this card (hand it back after the visit)")


@dataclass
class Card:
    number: int
    day: dt.date
    customer_id: str
    name: str
    subtitle: str  # tier | level | organization | age
    reasons: list[str]
    sections: list[tuple[str, list[str]]] = field(default_factory=list)  # (heading, lines)

    def text(self) -> str:
        """The card as plain text (what the PDF shows, for tests and the docs)."""
        lines = [f"{self.number}. {self.name}  {self.subtitle}", *self.reasons]
        for heading, body in self.sections:
            lines.append(heading)
            lines.extend(f"  {b}" for b in body)
        return "\n".join(lines)


def readable_fields(store: Store, customer: Customer) -> tuple[Customer, list[str]]:
    """``customer`` as this user may read it, and the confidential fields they cannot.

    Confidential fields (``confidential: fields`` in kehu.yaml) are encrypted at rest; the one
    function that opens them is :func:`kehu_core.confidential.revealed`, with the user's
    identity (``--identity``/``KEHU_IDENTITY``). A field it cannot open reads as None in the
    customer returned and is named in the list: the card prints :data:`LOCKED` there, never
    the ciphertext. Without an identity nothing is decrypted (pyrage is not even loaded)."""
    from ..confidential import revealed

    opened = revealed(store, customer)
    return opened.customer, list(opened.locked)


def _age(customer: Customer, day: dt.date) -> int | None:
    """Age on ``day``: the last solar birthday up to it (kehu_core.calendar)."""
    if not customer.birthday or customer.birthday.startswith("--"):
        return None
    past = calendar.birthdays(customer.birthday, None, day - dt.timedelta(days=366), day)
    return past[-1].age if past else None


def _money(value: Decimal | None) -> str:
    return f"¥{value:,.2f}" if value is not None else "¥-"


def card_of(store: Store, visit: PlannedVisit, number: int, day: dt.date) -> Card:
    """One customer's card for a visit on ``day``."""
    from ..phones import display_phone
    from ..services.payments import owing

    # from its file: the index (where the plan's customers come from) never holds sealed values
    c, locked = readable_fields(store, store.get(visit.customer.id))
    region = store.config.region
    history = store.interactions(c.id)

    def private(name: str, value: str | None) -> str:
        return _(LOCKED) if name in locked else value or _("(not recorded)")
    age = _age(c, day)
    subtitle = " | ".join(x for x in (
        shown(visit.values.get("tier"), store), c.level, " ".join(filter(None, (c.organization, c.title))) or None,
        _("{age} years old").format(age=age) if age is not None else None) if x)
    reasons = [_("Why: {reason}: {text}").format(reason=r.label, text=r.text) for r in visit.reasons]
    sections: list[tuple[str, list[str]]] = []

    def line(label: str, value: object) -> str:
        return f"{_(label)} {value}"

    contact = [line(N_("Phone"), display_phone(p, region)) for p in c.phones]
    contact += [line(N_("Email"), e) for e in c.emails]
    contact += [line(N_("Address"), a) for a in c.addresses] or [line(N_("Address"), private("addresses", None))]
    contact += [f"{field_label(n)} {_(LOCKED)}" for n in ("phones", "emails") if n in locked]
    sections.append((_("Contact"), contact))

    born = []
    if c.birthday:
        born.append(line(N_("Birthday"), c.birthday))
    if c.lunar_birthday:
        born.append(line(N_("Lunar birthday"), calendar.parse_lunar(c.lunar_birthday).chinese))
    about = [*born]
    if c.nickname:
        about.append(line(N_("Called"), c.nickname))
    about.append(line(N_("Family"), private("family", c.family)))
    about.append(line(N_("Interests"), private("interests", _(", ").join(c.interests))))
    about.append(line(N_("Personality"), private("personality", c.personality)))
    if c.notes or "notes" in locked:
        about.append(line(N_("Notes"), private("notes", c.notes)))
    shown_here = {"family", "interests", "personality", "notes", "addresses", "phones", "emails"}
    about += [f"{field_label(n)} {_(LOCKED)}" for n in locked if n not in shown_here]
    if c.referrer:
        row = store.index.get(c.referrer)
        about.append(line(N_("Referred by"), row.customer.name if row else c.referrer))
    sections.append((_("About"), about))

    purchases = sorted((i for i in history if isinstance(i, Purchase) and i.voided is None),
                       key=lambda p: (p.date, p.id), reverse=True)
    listed = purchases[:store.config.visits.purchases_on_card]
    bought = [f"{p.date} {_(', ').join(_item(i) for i in p.items) or _('a purchase')} {_money(p.amount)}"
              + ("" if p.owed <= 0 else _(" (owes {amount})").format(amount=_money(p.owed))) for p in listed]
    total = sum((p.amount or Decimal(0) for p in purchases), Decimal(0))
    bought.append(_("{count} in all, {amount} together").format(count=len(purchases), amount=_money(total))
                  if purchases else _("(no purchase yet)"))
    sections.append((_("Last purchases"), bought))

    open_ones = [v for v in cp.complaints(store, customer_id=c.id) if v.unfinished]
    if open_ones:
        sections.append((_("Open complaints"),
                         [f"{v.complaint.date} {v.complaint.text or ''}".strip() + f" ({_(_STATE[v.state])})"
                          for v in open_ones]))
    owed = owing(store, c.id)
    if owed:
        lines = [_("{date} owes {amount}").format(date=p.date, amount=_money(p.owed))
                 + (_(", due {day}").format(day=p.due) if p.due else "")
                 + (_(" (overdue)") if p.due and p.due < day else "") for p in owed]
        lines.append(_("Together {amount}").format(amount=_money(sum((p.owed for p in owed), Decimal(0)))))
        sections.append((_("Receivables"), lines))
    points = visit.values.get("points")
    if points is not None:
        sections.append((_("Points"), [_("{points} points").format(points=points)]))

    sections.append((_("Talking points"), _talk(visit, c, history)))
    bring = list(dict.fromkeys(_(BRING[r.kind]) for r in visit.reasons if r.kind in BRING))
    sections.append((_("Bring"), [*bring, _(ALWAYS_BRING)]))
    return Card(number, day, c.id, c.name, subtitle, reasons, sections)


_STATE = {"open": N_("to answer"), "acknowledged": N_("being handled")}


def _item(item: Any) -> str:
    qty = item.qty
    return item.name if qty == 1 else f"{item.name}×{qty.normalize():f}"


def _talk(visit: PlannedVisit, customer: Customer, history: list[Any]) -> list[str]:
    out = [_(TALK[r.kind]).format(text=r.text) for r in visit.reasons]
    visits = [i for i in history if isinstance(i, Visit)]
    if visits and visits[-1].text:
        out.append(_("Last visit {date}: {text}").format(date=visits[-1].date, text=visits[-1].text))
    last = max((i for i in history if isinstance(i, Purchase) and i.voided is None),
               key=lambda p: (p.date, p.id), default=None)
    if last is not None and last.items:
        out.append(_("Ask how the {item} they bought last time is doing").format(item=last.items[0].name))
    if customer.interests:
        out.append(_("To talk about: {interests}").format(interests=_(", ").join(customer.interests)))
    return list(dict.fromkeys(out))


def cards_for(store: Store, plan: VisitPlan) -> list[Card]:
    """The cards of a plan's visits, in its order."""
    return [card_of(store, visit, n, plan.day) for n, visit in enumerate(plan.visits, 1)]
