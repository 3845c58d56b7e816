"""Credit limits and payment terms (赊账额度与账期): the one home of these rules.

A customer's **limit** is their own ``credit_limit``, else their member level's
``credit: levels: LEVEL: limit`` in kehu.yaml, else ``credit: default_limit``; none of these:
no limit (credit sales are not checked). Their **payment terms** (days) are their own
``payment_terms``, else the level's ``terms_days``, else ``purchases: credit_days``.

A credit sale (a purchase not paid at once) that would take what the customer owes over the
limit is refused with the figures (:class:`OverLimitError`), unless a reason is given: then it
goes through with ``over_limit: {reason, limit, outstanding, by}`` on the purchase. Every
door that records a purchase (``kehu purchase add``, the TUI's purchase form) goes through
:func:`kehu_core.services.payments.record_purchase`, which asks :func:`check_sale` under the
store's lock. Imports bring in history as it was and are not checked.

What is owed is each purchase's ``owed`` (its amount less its payments; what
:func:`kehu_core.services.payments.owing` lists and ``kehu report receivables`` ages).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .errors import KehuError
from .i18n import _
from .models import CENT, Customer, Purchase

if TYPE_CHECKING:
    from .store import Store

ZERO = Decimal(0).quantize(CENT)


@dataclass(frozen=True)
class Terms:
    """A customer's credit limit and payment terms, and where each comes from."""

    limit: Decimal | None  # None: no limit
    limit_from: str  # "customer", "level 金卡", "default" or "none"
    terms_days: int | None  # None: no due date unless one is given
    terms_from: str  # "customer", "level 金卡", "purchases.credit_days"


def terms_of(store: Store, customer: Customer) -> Terms:
    """The limit and payment terms that hold for ``customer`` (see the module's docstring)."""
    cfg = store.config.credit
    level = cfg.levels.get(customer.level) if customer.level else None
    if customer.credit_limit is not None:
        limit, limit_from = customer.credit_limit, "customer"
    elif level is not None and level.limit is not None:
        limit, limit_from = level.limit, f"level {customer.level}"
    elif cfg.default_limit is not None:
        limit, limit_from = cfg.default_limit, "default"
    else:
        limit, limit_from = None, "none"
    if customer.payment_terms is not None:
        days, days_from = customer.payment_terms, "customer"
    elif level is not None and level.terms_days is not None:
        days, days_from = level.terms_days, f"level {customer.level}"
    else:
        days, days_from = store.config.purchases.credit_days, "purchases.credit_days"
    return Terms(None if limit is None else Decimal(limit).quantize(CENT), limit_from, days, days_from)


def outstanding(store: Store, customer_id: str) -> Decimal:
    """What the customer owes now: the sum of their purchases' ``owed`` (the model's one rule:
    amount less payments; nothing once paid or voided), read from the files under the lock."""
    return sum((i.owed for i in store.interactions(customer_id) if isinstance(i, Purchase)), ZERO)


@dataclass(frozen=True)
class SaleCheck:
    """The figures of a credit sale against the limit."""

    limit: Decimal | None
    outstanding: Decimal  # owed before this sale
    sale: Decimal

    @property
    def after(self) -> Decimal:
        return self.outstanding + self.sale

    @property
    def over(self) -> bool:
        return self.limit is not None and self.after > self.limit

    def as_json(self) -> dict[str, Any]:
        return {"limit": None if self.limit is None else float(self.limit),
                "outstanding": float(self.outstanding), "sale": float(self.sale),
                "after": float(self.after), "over": self.over}


class OverLimitError(KehuError):
    """A credit sale refused: it would take what is owed over the credit limit."""

    def __init__(self, customer: Customer, check: SaleCheck):
        self.check = check
        assert check.limit is not None
        super().__init__(_(
            "{name} ({id}): this sale on credit ¥{sale} would take what is owed to ¥{after}, over the "
            "credit limit ¥{limit} (limit ¥{limit}, outstanding ¥{outstanding}, this sale ¥{sale}, over by "
            "¥{over}); nothing was written. Take it paid, collect first, or give --over-limit REASON").format(
                name=customer.name, id=customer.id, sale=f"{check.sale:,.2f}", after=f"{check.after:,.2f}",
                limit=f"{check.limit:,.2f}", outstanding=f"{check.outstanding:,.2f}",
                over=f"{check.after - check.limit:,.2f}"))


def check_sale(store: Store, customer: Customer, amount: Decimal, *, over_limit: str | None = None,
               by: str | None = None) -> dict[str, Any] | None:
    """The rule for a new credit sale of ``amount``: refuses one over the limit
    (:class:`OverLimitError`) unless ``over_limit`` gives a reason; returns the purchase's
    ``over_limit`` mark then, None when the sale is within the limit. Call it under the
    store's lock, with the write (what is owed must not change in between)."""
    limit = terms_of(store, customer).limit
    if limit is None:
        return None
    check = SaleCheck(limit, outstanding(store, customer.id), Decimal(amount).quantize(CENT))
    if not check.over:
        return None
    reason = (over_limit or "").strip()
    if not reason:
        raise OverLimitError(customer, check)
    mark: dict[str, Any] = {"reason": reason, "limit": check.limit, "outstanding": check.outstanding}
    if by:
        mark["by"] = by
    return mark
