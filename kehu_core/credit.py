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

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .errors import KehuError
from .i18n import _
from .money import CENT

if TYPE_CHECKING:
    from .models import Customer
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
    return terms_from(customer.level, customer.credit_limit, customer.payment_terms,
                      **terms_settings(store.config))


def terms_settings(config: Any) -> dict[str, Any]:
    """What :func:`terms_from` reads of kehu.yaml (a ``KehuConfig``), as plain JSON values: the
    index keeps it beside the store's other settings, so ``customer show`` can answer without
    opening the store."""
    credit = config.credit
    return {"levels": {name: [None if rule.limit is None else str(rule.limit), rule.terms_days]
                       for name, rule in credit.levels.items()},
            "default_limit": None if credit.default_limit is None else str(credit.default_limit),
            "credit_days": config.purchases.credit_days}


def terms_from(level: str | None, own_limit: Any, own_terms: int | None, *,
               levels: Mapping[str, Any], default_limit: Any, credit_days: int | None) -> Terms:
    """The rule (the module's docstring) on plain values: the customer's level, own limit and
    own terms; kehu.yaml's levels (name → [limit, terms days]), default limit and
    ``purchases: credit_days`` (:func:`terms_settings`)."""
    rule = levels.get(level) if level else None
    level_limit, level_days = rule if rule is not None else (None, None)
    if own_limit is not None:
        limit, limit_from = own_limit, "customer"
    elif level_limit is not None:
        limit, limit_from = level_limit, f"level {level}"
    elif default_limit is not None:
        limit, limit_from = default_limit, "default"
    else:
        limit, limit_from = None, "none"
    if own_terms is not None:
        days, days_from = own_terms, "customer"
    elif level_days is not None:
        days, days_from = level_days, f"level {level}"
    else:
        days, days_from = credit_days, "purchases.credit_days"
    return Terms(None if limit is None else Decimal(str(limit)).quantize(CENT), limit_from, days, days_from)


def outstanding(store: Store, customer_id: str) -> Decimal:
    """What the customer owes now: the sum of their purchases' ``owed`` (the model's one rule:
    amount less payments; nothing once paid or voided), read from the files under the lock."""
    from .models import Purchase

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
