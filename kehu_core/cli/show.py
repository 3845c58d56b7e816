"""``kehu customer show`` as a person reads it: the profile's lines, what plugins compute, the
credit status, the attitude and the history.

A customer is shown from the index alone when it can answer exactly as the store would (the
index up to date, the plugins' values kept for this customer fresh, no problem in the
customer's files, nothing confidential): no store opened, no model validated, no plugin
loaded. Otherwise the command opens the store, which brings the index and the values up to
date, and shows the same lines. Either way the figures come from their one home:
:func:`kehu_core.credit.terms_from` and the model's ``Purchase.owed`` (kept by the index),
:func:`kehu_core.attitude.attitudes_read`.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from ..i18n import _
from ..names import shown_values
from .render import print_customer

if TYPE_CHECKING:
    from .context import Context


def credit_status(terms: Any, owed: Decimal) -> dict[str, Any]:
    """``credit_status`` of ``customer show``: the limit and terms that hold (a
    :class:`kehu_core.credit.Terms`), what is owed and what is left of the limit."""
    return {
        "limit": None if terms.limit is None else float(terms.limit), "limit_from": terms.limit_from,
        "terms_days": terms.terms_days, "terms_from": terms.terms_from, "outstanding": float(owed),
        "available": None if terms.limit is None else float(terms.limit - owed),
    }


def print_shown(data: dict[str, Any], history: list[dict[str, Any]], *, region: str,
                names: dict[str, Any]) -> None:
    """The customer's lines: ``data`` as ``customer show --json`` has it (its credit status,
    attitude, locked fields), in the user's language; ``names``: how built-in tier names are
    told apart from the user's own (``store=`` an open store, or ``mine=`` as the index noted)."""
    data = dict(data)
    for name in data.pop("locked", None) or ():
        from ..confidential import LOCK

        data[name] = f"{LOCK} " + _("encrypted")
    data["credit_status"] = _credit_text(data["credit_status"])
    if data.get("attitude"):
        from ..attitude import NAMES

        data["attitude"] = _(NAMES[data["attitude"]])
    print_customer(shown_values(data, **names), history, region=region)


def show_from_index(ctx: Context, customer_id: str) -> bool:
    """Print the customer from the index alone, if it answers as the store would (see the
    module's docstring); False when it cannot tell, and nothing is printed."""
    found = ctx.listing(values=True, everyone=False)
    if found is None:
        return False
    reader, listing = found
    try:
        settings = reader.settings.get("show")
        if not isinstance(settings, dict) or not listing.fresh_for([customer_id]):
            return False
        records = reader.records()
        if records.has_problems(customer_id):
            return False  # the store names the file, the line and what is wrong
        objects = listing.objects([customer_id])
        if not objects or objects[0].get("sealed"):
            return False  # not known here, or confidential: the store opens it with the user's key
        data = objects[0]
        from ..attitude import attitudes_read
        from ..credit import terms_from

        terms = terms_from(data.get("level"), data.get("credit_limit"), data.get("payment_terms"),
                           **settings["credit"])
        data["credit_status"] = credit_status(terms, records.owed_by(customer_id))
        assert listing.today is not None  # kept values: the day they are fresh for
        attitude = attitudes_read(records, SimpleNamespace(**settings["attitude"]), [customer_id], listing.today)
        data.update(attitude[customer_id].as_json())
        print_shown(data, records.history(customer_id), region=reader.region, names={"mine": listing.written})
        return True
    finally:
        reader.close()


def _credit_text(status: dict[str, Any]) -> str:
    """``credit_status`` as a person reads it: the limit and where it comes from, what is owed
    and left, the terms (the --json keeps the figures)."""
    terms = _("terms {days} days ({source})").format(days=status["terms_days"], source=_source(status["terms_from"]))
    if status["limit"] is None:
        return _("no limit; owed ¥{owed}; {terms}").format(owed=f"{status['outstanding']:,.2f}", terms=terms)
    if status["available"] is not None and status["available"] < 0:
        return _("limit ¥{limit} ({source}); owed ¥{owed}, over it by ¥{over}; {terms}").format(
            limit=f"{status['limit']:,.2f}", source=_source(status["limit_from"]),
            owed=f"{status['outstanding']:,.2f}", over=f"{-status['available']:,.2f}", terms=terms)
    return _("limit ¥{limit} ({source}); owed ¥{owed}, left ¥{left}; {terms}").format(
        limit=f"{status['limit']:,.2f}", source=_source(status["limit_from"]), owed=f"{status['outstanding']:,.2f}",
        left=f"{status['available']:,.2f}", terms=terms)


def _source(name: str) -> str:
    """Where a limit or terms come from (kehu_core.credit.terms_from: customer, level X,
    default, a kehu.yaml setting), as a person reads it; --json keeps the name."""
    if name == "customer":
        return _("the customer's own")
    if name == "default":
        return _("the default, credit: default_limit")
    if name.startswith("level "):
        return _("level {level}").format(level=name.removeprefix("level "))
    return name  # a kehu.yaml setting (purchases.credit_days): its name
