"""Which tier each customer is in, computed once per process from the index.

The maths is ``kehu_core.services.segmentation`` (shared with ``kehu report``); this module
only picks the window, the scheme and the manual overrides, and caches the result.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kehu_core.models import CENT
from kehu_core.plugins import plugin_settings
from kehu_core.services import segmentation
from kehu_core.store import Store

NAME = "tiering"
LEDGER = "tiers"
OVERRIDE_FIELD = "tier_override"


class PyramidSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    shares: list[float] = Field(default_factory=lambda: list(segmentation.PYRAMID_SHARES))
    names: list[str] = Field(default_factory=lambda: list(segmentation.PYRAMID_NAMES))

    @model_validator(mode="after")
    def _same_length(self) -> PyramidSettings:
        if len(self.shares) != len(self.names) or not self.names:
            raise ValueError("pyramid: give as many shares as names")
        if abs(sum(self.shares) - 1.0) > 0.001:
            total = sum(self.shares)
            raise ValueError(f"pyramid: shares must add up to 1 (they add up to {total:g})")
        return self


class AbcSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    a: float = Field(0.8, gt=0, lt=1)
    b: float = Field(0.95, gt=0, le=1)


class RfmSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    no_purchase: str = "未购买"  # the tier of customers who never bought in the window


class TieringSettings(BaseModel):
    """``plugins: tiering:`` in kehu.yaml."""

    model_config = ConfigDict(extra="forbid")
    scheme: Literal["pyramid", "abc", "rfm"] = "pyramid"
    window_days: int = Field(365, ge=1)
    as_of: dt.date | None = None  # the window ends here (default: today)
    pyramid: PyramidSettings = Field(default_factory=PyramidSettings)
    abc: AbcSettings = Field(default_factory=AbcSettings)
    rfm: RfmSettings = Field(default_factory=RfmSettings)
    record_on_purchase: bool = True

    def tier_names(self) -> list[str]:
        if self.scheme == "pyramid":
            return list(self.pyramid.names)
        if self.scheme == "abc":
            return ["A", "B", "C"]
        return [name for name, _ in segmentation.RFM_SEGMENTS] + [self.rfm.no_purchase]


def settings(store: Store) -> TieringSettings:
    return plugin_settings(store, NAME, TieringSettings)


@dataclass(frozen=True)
class TierInfo:
    computed: str  # what the scheme says
    abc: str
    rfm: str | None  # "543", None if no purchase in the window
    rfm_segment: str | None
    revenue: Decimal  # in the window


@dataclass
class Tiers:
    as_of: dt.date
    start: dt.date
    scheme: str
    by_customer: dict[str, TierInfo]


# One result per open store, valid while the index is unchanged: sqlite's total_changes
# counts every row the index wrote, so any save, refresh or import makes it stale for free.
_cache: weakref.WeakKeyDictionary[Store, tuple[tuple[object, ...], Tiers]] = (
    weakref.WeakKeyDictionary()
)


def compute(store: Store, as_of: dt.date | None = None) -> Tiers:
    """Every customer's tier, from one query over the index (cached, see above)."""
    cfg = settings(store)
    end = as_of or cfg.as_of or dt.date.today()
    index = store.index
    stamp = (end, index.db.total_changes)
    hit = _cache.get(store)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    start = end - dt.timedelta(days=cfg.window_days)
    # activity() counts [start, end): the window includes its last day
    act = segmentation.activity(store, start, end + dt.timedelta(days=1))
    revenue = {cid: a.revenue.quantize(CENT) for cid, a in act.items()}
    abc = segmentation.abc_classes(revenue, cfg.abc.a, cfg.abc.b)
    rfm = segmentation.rfm(act, end)
    pyramid = segmentation.pyramid(revenue, cfg.pyramid.shares, cfg.pyramid.names)
    out = {}
    for cid in act:
        score = rfm.get(cid)
        if cfg.scheme == "pyramid":
            tier = pyramid[cid]
        elif cfg.scheme == "abc":
            tier = abc[cid]
        else:
            tier = score.segment if score else cfg.rfm.no_purchase
        out[cid] = TierInfo(
            tier, abc[cid], score.code if score else None, score.segment if score else None,
            revenue[cid],
        )
    tiers = Tiers(end, start, cfg.scheme, out)
    _cache[store] = (stamp, tiers)
    return tiers


def tier_of(
    store: Store, customer_id: str, override: str | None, as_of: dt.date | None = None
) -> tuple[str | None, str]:
    """(tier, why): the manual override if there is one, else the computed tier."""
    if override:
        return override, "manual override"
    info = compute(store, as_of).by_customer.get(customer_id)
    if info is None:
        return None, "not in the index"
    cfg = settings(store)
    return info.computed, f"{cfg.scheme}: ¥{info.revenue} in the last {cfg.window_days} days"


def last_recorded(store: Store, customer_id: str) -> str | None:
    entries = store.ledger(customer_id, LEDGER)
    return entries[-1].get("to") if entries else None


def record_if_changed(
    store: Store, customer_id: str, tier: str | None, why: str, when: dt.date
) -> dict[str, Any] | None:
    """Append ``{date, from, to, why}`` to the customer's tiers ledger if the tier moved."""
    with store.lock():  # read-compare-append as one step, so two writers cannot both append
        previous = last_recorded(store, customer_id)
        if tier is None or tier == previous:
            return None
        entry = {"date": when, "from": previous, "to": tier, "why": why}
        store.append_ledger(customer_id, LEDGER, entry)
        return entry
