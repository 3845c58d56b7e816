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
from ..models import Customer, Purchase, Visit

if TYPE_CHECKING:
    from ..store import Store
    from .plan import PlannedVisit, VisitPlan

#: what a card prints for a confidential field the user's identity cannot read
LOCKED = "［保密：无权查看］"
#: how a card names a confidential field it cannot print (others by their field name)
FIELD_LABELS = {"family": "家庭", "personality": "性格", "notes": "备注", "interests": "兴趣",
                "phones": "电话", "emails": "邮箱", "addresses": "地址", "birthday": "生日",
                "lunar_birthday": "农历生日", "credit": "信用", "organization": "单位", "title": "职务"}

#: what to say and bring, by the reason the customer is on the list
TALK = {
    "complaint": "跟进投诉：{text}；说明处理进展，确认客户满意",
    "overdue": "核对账目，约定付款日期（{text}）",
    "cadence": "定期拜访：回顾上次的约定，了解新需求",
    "birthday": "祝贺{text}",
    "dormant": "了解近况与未再购买的原因，介绍新品（{text}）",
    "planned": "本人计划的拜访",
}
BRING = {
    "complaint": "投诉处理方案（及替换品）",
    "overdue": "对账单、收款码",
    "cadence": "新品目录",
    "birthday": "生日礼物、贺卡",
    "dormant": "新品样品、优惠券",
}
ALWAYS_BRING = "名片；本卡（拜访后交回）"


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
        return LOCKED if name in locked else value or "（未登记）"
    age = _age(c, day)
    subtitle = " | ".join(x for x in (
        visit.values.get("tier"), c.level, " ".join(filter(None, (c.organization, c.title))) or None,
        f"{age} 岁" if age is not None else None) if x)
    reasons = [f"拜访原因 {r.to_json()['label']}：{r.text}" for r in visit.reasons]
    sections: list[tuple[str, list[str]]] = []

    contact = [f"电话 {display_phone(p, region)}" for p in c.phones] + [f"邮箱 {e}" for e in c.emails]
    contact += [f"地址 {a}" for a in c.addresses] or [f"地址 {private('addresses', None)}"]
    contact += [f"{FIELD_LABELS[n]} {LOCKED}" for n in ("phones", "emails") if n in locked]
    sections.append(("联系方式 Contact", contact))

    born = []
    if c.birthday:
        born.append(f"生日 {c.birthday}")
    if c.lunar_birthday:
        born.append(f"农历生日 {calendar.parse_lunar(c.lunar_birthday).chinese}")
    about = [*born]
    if c.nickname:
        about.append(f"称呼 {c.nickname}")
    about.append(f"家庭 {private('family', c.family)}")
    about.append(f"兴趣 {private('interests', '、'.join(c.interests))}")
    about.append(f"性格 {private('personality', c.personality)}")
    if c.notes or "notes" in locked:
        about.append(f"备注 {private('notes', c.notes)}")
    shown_here = {"family", "interests", "personality", "notes", "addresses", "phones", "emails"}
    about += [f"{FIELD_LABELS.get(n, n)} {LOCKED}" for n in locked if n not in shown_here]
    if c.referrer:
        row = store.index.get(c.referrer)
        about.append(f"介绍人 {row.customer.name if row else c.referrer}")
    sections.append(("个人情况 About", about))

    purchases = sorted((i for i in history if isinstance(i, Purchase) and i.voided is None),
                       key=lambda p: (p.date, p.id), reverse=True)
    shown = purchases[:store.config.visits.purchases_on_card]
    bought = [f"{p.date} {'、'.join(_item(i) for i in p.items) or '购买'} {_money(p.amount)}"
              + ("" if p.owed <= 0 else f"（欠 {_money(p.owed)}）") for p in shown]
    total = sum((p.amount or Decimal(0) for p in purchases), Decimal(0))
    bought.append(f"共 {len(purchases)} 次，合计 {_money(total)}" if purchases else "（尚无购买）")
    sections.append(("最近购买 Last purchases", bought))

    open_ones = [v for v in cp.complaints(store, customer_id=c.id) if v.unfinished]
    if open_ones:
        sections.append(("未结投诉 Open complaints",
                         [f"{v.complaint.date} {v.complaint.text or ''}（{_STATE[v.state]}）".strip()
                          for v in open_ones]))
    owed = owing(store, c.id)
    if owed:
        lines = [f"{p.date} 欠 {_money(p.owed)}" + (f"，{p.due} 到期" if p.due else "")
                 + ("（已逾期）" if p.due and p.due < day else "") for p in owed]
        lines.append(f"合计 {_money(sum((p.owed for p in owed), Decimal(0)))}")
        sections.append(("应收账款 Owed", lines))
    points = visit.values.get("points")
    if points is not None:
        sections.append(("会员积分 Points", [f"{points} 分"]))

    sections.append(("谈话要点 Talking points", _talk(visit, c, history)))
    bring = list(dict.fromkeys(BRING[r.kind] for r in visit.reasons if r.kind in BRING))
    sections.append(("携带 Bring", [*bring, ALWAYS_BRING]))
    return Card(number, day, c.id, c.name, subtitle, reasons, sections)


_STATE = {"open": "待答复", "acknowledged": "处理中"}


def _item(item: Any) -> str:
    qty = item.qty
    return item.name if qty == 1 else f"{item.name}×{qty.normalize():f}"


def _talk(visit: PlannedVisit, customer: Customer, history: list[Any]) -> list[str]:
    out = [TALK[r.kind].format(text=r.text) for r in visit.reasons]
    visits = [i for i in history if isinstance(i, Visit)]
    if visits and visits[-1].text:
        out.append(f"上次拜访 {visits[-1].date}：{visits[-1].text}")
    last = max((i for i in history if isinstance(i, Purchase) and i.voided is None),
               key=lambda p: (p.date, p.id), default=None)
    if last is not None and last.items:
        out.append(f"问问上次买的{last.items[0].name}用得怎样")
    if customer.interests:
        out.append(f"可聊：{'、'.join(customer.interests)}")
    return list(dict.fromkeys(out))


def cards_for(store: Store, plan: VisitPlan) -> list[Card]:
    """The cards of a plan's visits, in its order."""
    return [card_of(store, visit, n, plan.day) for n, visit in enumerate(plan.visits, 1)]
