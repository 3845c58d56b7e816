"""A customer's attitude (seed 001): **loyal** (忠诚客户), **brand-switching** (品牌转换客户) or
**no loyalty** (无品牌忠诚客户), read from their purchases: the one home of the rule.

Inputs, from the purchases of the last ``window_days`` up to the store's day (voided ones left
out): the days they bought on, the gaps between them, and the product categories they bought
against the categories the shop sold in the window. A line item's category is its own
``category:``, else the first category of ``attitude: categories:`` in kehu.yaml whose word is
in the product's name; a product in none has no category. The rule, first match wins:

1. no purchase in the window: no attitude (``None``);
2. bought on one day only: **no loyalty** (a one-off purchase);
3. no purchase for more than ``lapse_factor`` times their usual gap (the median gap, at least
   ``min_gap_days``): **switching** (they used to come back, and now buy elsewhere);
4. at least ``loyal_purchases`` buying days: **loyal**, unless the shop sells two categories
   or more and they buy less than ``loyal_share`` of them: then **switching** (they buy one
   thing here, the rest elsewhere);
5. otherwise (two buying days, on rhythm): **no loyalty** yet.

``customer show`` and ``customer list --json`` (``attitude``, ``attitude_reason``), ``customer
list --attitude`` and a segment's ``attitude:`` condition all ask :func:`attitudes` or
:func:`attitude_of`, which gather the same inputs and call :func:`classify`.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import KehuError
from .i18n import N_, _

if TYPE_CHECKING:
    from .config import AttitudeSettings
    from .index.records import Records
    from .store import Store

LOYAL, SWITCHING, NO_LOYALTY = "loyal", "switching", "no_loyalty"
ATTITUDES = (LOYAL, SWITCHING, NO_LOYALTY)
LABELS = {LOYAL: "忠诚客户", SWITCHING: "品牌转换客户", NO_LOYALTY: "无品牌忠诚客户"}
#: the short names a list column or a filter shows, translated where shown (zh_CN: 忠诚,
#: 品牌转换, 无品牌忠诚, which --attitude also takes)
NAMES = {LOYAL: N_("loyal"), SWITCHING: N_("switching"), NO_LOYALTY: N_("no loyalty")}
_CACHE = "kehu.attitude"


@dataclass(frozen=True)
class Attitude:
    attitude: str | None
    why: str  # the reason's English, marked N_(): the message id, said in the user's language by reason
    buying_days: int
    typical_gap: int | None  # days
    days_since: int | None  # since the last purchase
    categories: int  # the shop's categories they bought
    shop_categories: int  # the shop sold in the window
    why_args: tuple[tuple[str, Any], ...] = ()  # the reason's figures, by placeholder

    @property
    def reason(self) -> str:
        """Why, in figures, in the language of this run: made where it is read, since the
        attitudes are kept by the index (:func:`attitudes`) across a change of language."""
        return _(self.why).format(**dict(self.why_args))

    def as_json(self) -> dict[str, Any]:
        return {"attitude": self.attitude, "attitude_reason": self.reason}


NONE = Attitude(None, N_("no purchase in the window"), 0, None, None, 0, 0)


def category_of(item: dict[str, Any], settings: AttitudeSettings) -> str | None:
    """A line item's category: its own ``category``, else the first configured one whose word
    is in its name."""
    own = item.get("category")
    if own:
        return str(own)
    name = str(item.get("name") or "")
    for category, words in settings.categories.items():
        if any(w and w in name for w in words):
            return category
    return None


def classify(days: list[dt.date], categories: set[str], shop_categories: set[str], today: dt.date,
             settings: AttitudeSettings) -> Attitude:
    """The rule (see the module's docstring) for one customer's buying ``days`` (sorted, no
    repeats) and the categories they bought, against the shop's."""
    n, shop = len(days), len(shop_categories)
    bought = len(categories & shop_categories)
    if not days:
        return NONE
    since = (today - days[-1]).days
    if n == 1:
        return Attitude(NO_LOYALTY, N_("bought once ({day}) in {window} days"), 1, None, since, bought, shop,
                        (("day", days[0].isoformat()), ("window", settings.window_days)))
    gaps = [(b - a).days for a, b in zip(days, days[1:], strict=False)]
    typical = max(round(statistics.median(gaps)), settings.min_gap_days)
    if since > settings.lapse_factor * typical:
        return Attitude(SWITCHING, N_("no purchase for {since} days; usually every {typical} days"),
                        n, typical, since, bought, shop, (("since", since), ("typical", typical)))
    if n >= settings.loyal_purchases:
        if shop >= 2 and bought / shop < settings.loyal_share:
            return Attitude(SWITCHING, N_("buys {bought} of the shop's {shop} categories (loyal from {share})"),
                            n, typical, since, bought, shop,
                            (("bought", bought), ("shop", shop), ("share", f"{settings.loyal_share:.0%}")))
        figures = (("n", n), ("typical", typical), ("since", since))
        if shop >= 2:
            return Attitude(LOYAL, N_("bought on {n} days, about every {typical} days, last {since} days ago, "
                                      "{bought} of {shop} categories"),
                            n, typical, since, bought, shop, (*figures, ("bought", bought), ("shop", shop)))
        return Attitude(LOYAL, N_("bought on {n} days, about every {typical} days, last {since} days ago"),
                        n, typical, since, bought, shop, figures)
    return Attitude(NO_LOYALTY, N_("bought on {n} days: not a regular yet (loyal from {loyal})"),
                    n, typical, since, bought, shop, (("n", n), ("loyal", settings.loyal_purchases)))


def _window(settings: AttitudeSettings, today: dt.date) -> tuple[str, str]:
    start = today - dt.timedelta(days=settings.window_days - 1)
    return start.isoformat(), (today + dt.timedelta(days=1)).isoformat()


def _gather(purchases: Iterable[dict[str, Any]], settings: AttitudeSettings
            ) -> tuple[dict[str, set[dt.date]], dict[str, set[str]], set[str]]:
    days: dict[str, set[dt.date]] = {}
    cats: dict[str, set[str]] = {}
    shop: set[str] = set()
    for p in purchases:
        cid = p["customer_id"]
        days.setdefault(cid, set()).add(dt.date.fromisoformat(str(p["date"])[:10]))
        mine = cats.setdefault(cid, set())
        for item in p.get("items") or []:
            category = category_of(item, settings) if isinstance(item, dict) else None
            if category:
                mine.add(category)
                shop.add(category)
    return days, cats, shop


def attitudes(store: Store, today: dt.date | None = None) -> dict[str, Attitude]:
    """Every customer who bought in the window → their attitude (one pass over the window's
    purchases in the index, kept for the index generation and the day)."""
    today = today or store.today
    settings = store.config.attitude
    cache = store.index.plugin_cache(_CACHE)
    key = (today, settings.model_dump_json())
    found = cache.get(key)
    if found is None:
        days, cats, shop = _gather(store.index.purchases(*_window(settings, today)), settings)
        found = cache[key] = {cid: classify(sorted(d), cats[cid], shop, today, settings)
                              for cid, d in days.items()}
    return found


def attitude_of(store: Store, customer_id: str, today: dt.date | None = None) -> Attitude:
    """One customer's attitude (:func:`attitudes_of` for one)."""
    return attitudes_of(store, [customer_id], today)[customer_id]


#: up to this many customers, their own purchases are read; more, one pass over the window
FEW = 500


def attitudes_of(store: Store, customer_ids: Sequence[str], today: dt.date | None = None) -> dict[str, Attitude]:
    """These customers' attitudes (:func:`attitudes`' answer for them). A few customers (a
    ``customer show``, the rows on the TUI's screen) from their own purchases and the kinds of
    items the shop sold, kept by the index: among 100 000 customers that does not read every
    purchase of the window (about a minute of CPU)."""
    today = today or store.today
    settings = store.config.attitude
    found = store.index.plugin_cache(_CACHE).get((today, settings.model_dump_json()))
    if found is None and len(customer_ids) > FEW:
        found = attitudes(store, today)
    if found is not None:
        return {cid: found.get(cid, NONE) for cid in customer_ids}
    return attitudes_read(store.index, settings, customer_ids, today)


def attitudes_read(records: Records, settings: AttitudeSettings | Any, customer_ids: Sequence[str],
                   today: dt.date) -> dict[str, Attitude]:
    """A few customers' attitudes from their own purchases and the kinds of items the shop
    sold (``records``: the index's, of an open store or read alone; ``settings``: kehu.yaml's
    ``attitude:``, or its JSON's fields as attributes when the store is not opened)."""
    since, until = _window(settings, today)
    shop = {c for name, category in records.item_kinds(since, until)
            if (c := category_of({"name": name, "category": category}, settings))}
    out = {}
    for cid in customer_ids:
        days, cats, _ = _gather(records.purchases_of(cid, since, until), settings)
        out[cid] = classify(sorted(days[cid]), cats[cid], shop, today, settings) if cid in days else NONE
    return out


def attitude_filter(value: str) -> str:
    """``--attitude``/a segment's value as a rule name: loyal, switching, no_loyalty (any case,
    ``no-loyalty`` too) or the Chinese name; anything else is refused, listing them."""
    text = str(value).strip().lower().replace("-", "_")
    for name, label in LABELS.items():
        if text in (name, label, label.removesuffix("客户")):
            return name
    # each rule's name as typed, and its name in the user's language where that is another word (忠诚)
    known = _(", ").join(n if _(NAMES[n]) == NAMES[n] else _("{name} ({label})").format(name=n, label=_(NAMES[n]))
                         for n in ATTITUDES)
    raise KehuError(_("attitude {value}: expected one of {known}").format(value=repr(value), known=known))
