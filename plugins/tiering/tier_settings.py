"""The tiering plugin's settings (``plugins: tiering:`` in kehu.yaml: the scheme, the window,
each scheme's tier names) and the one rule a typed tier is read by (:func:`kept_tier`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kehu_core.i18n import _
from kehu_core.keytext import key_text
from kehu_core.models import MAX_SHORT, Day, one_line_problem, shows_something
from kehu_core.names import meant
from kehu_core.plugins import plugin_settings
from kehu_core.services import scoring
from kehu_core.store import Store

NAME = "tiering"
LEDGER = "tiers"
OVERRIDE_FIELD = "tier_override"
#: a tier is a rank among everyone: recording the buyer's move ranks the whole store (60 ms at
#: 10 000 customers, ~1 s at 100 000 with storing it, which a purchase should not wait for)
RECORD_AT_ONCE_UP_TO = 10_000


def _tier_name(name: str) -> str:
    """A tier's name as written in kehu.yaml, as kept: trimmed and composed, as the names that
    match it are (a reminder rule's tiers, ``visits: dormant_tiers``, ``tier_override``): `重要客户 `
    with a space was a tier no rule named, and the key accounts were never visited, check ok."""
    kept = key_text(name)
    problem = one_line_problem(kept)
    if problem is not None or not shows_something(kept) or len(kept) > MAX_SHORT:
        raise ValueError(problem or _("{name}: a tier's name is one line of at most {limit} characters that shows "
                                      "something").format(name=repr(name), limit=MAX_SHORT))
    return kept


def _tier_names(names: list[str]) -> list[str]:
    """``names`` each as kept (:func:`_tier_name`); one written twice (two tiers of one name:
    their customers counted as one, each move between them unseen) is a ValueError naming it."""
    kept: dict[str, str] = {}
    for name in names:
        key = _tier_name(name)
        if key in kept:
            typed = "" if kept[key] == name else _(" (written {first} and {second})").format(
                first=repr(kept[key]), second=repr(name))
            raise ValueError(_("{name} is the name of two tiers{typed}; give each tier its own name").format(
                name=repr(key), typed=typed))
        kept[key] = name
    return list(kept)


class PyramidSettings(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    shares: list[float] = Field(default_factory=lambda: list(scoring.PYRAMID_SHARES))
    names: list[str] = Field(default_factory=lambda: list(scoring.PYRAMID_NAMES))

    @field_validator("names")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        return _tier_names(value)

    @model_validator(mode="after")
    def _same_length(self) -> PyramidSettings:
        if len(self.shares) != len(self.names) or not self.names:
            raise ValueError(_("pyramid: give as many shares as names"))
        if abs(sum(self.shares) - 1.0) > 0.001:
            total = sum(self.shares)
            raise ValueError(_("pyramid: shares must add up to 1 (they add up to {total})").format(
                total=f"{total:g}"))
        return self


class AbcSettings(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    a: float = Field(0.8, gt=0, lt=1)
    b: float = Field(0.95, gt=0, le=1)


class RfmSettings(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    no_purchase: str = "未购买"  # the tier of customers who never bought in the window

    @field_validator("no_purchase")
    @classmethod
    def _name(cls, value: str) -> str:
        _tier_names([name for name, _ in scoring.RFM_SEGMENTS] + [value])  # no segment's name
        return _tier_name(value)


class TieringSettings(BaseModel):
    """``plugins: tiering:`` in kehu.yaml."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
    scheme: Literal["pyramid", "abc", "rfm"] = "pyramid"
    # ten years at most, and a day kehu keeps: further, `kehu tier` ended in "internal error:
    # OverflowError" and every tier failed for the whole team, `kehu check` ok
    window_days: int = Field(365, ge=1, le=3660)
    as_of: Day | None = None  # the window ends here (default: today)
    pyramid: PyramidSettings = Field(default_factory=PyramidSettings)
    abc: AbcSettings = Field(default_factory=AbcSettings)
    rfm: RfmSettings = Field(default_factory=RfmSettings)
    # a purchase's tier move recorded at once (true), only by `kehu tier record` (false), or
    # at once while the store is small enough for the store-wide ranking to take a moment
    # (auto: up to auto_record_up_to customers)
    record_on_purchase: bool | Literal["auto"] = "auto"
    auto_record_up_to: int = Field(RECORD_AT_ONCE_UP_TO, ge=0)

    def records_on_purchase(self, customers: int) -> bool:
        if self.record_on_purchase == "auto":
            return customers <= self.auto_record_up_to
        return bool(self.record_on_purchase)

    def tier_names(self) -> list[str]:
        if self.scheme == "pyramid":
            return list(self.pyramid.names)
        if self.scheme == "abc":
            return ["A", "B", "C"]
        return [name for name, _ in scoring.RFM_SEGMENTS] + [self.rfm.no_purchase]


def settings(store: Store) -> TieringSettings:
    return plugin_settings(store, NAME, TieringSettings)


def kept_tier(store: Store, typed: str) -> str | None:
    """The tier of this store ``typed`` names, as the store keeps it: itself, or the tier it
    shows in English or Chinese, in any case (``Key customers`` → 重要客户); None: no tier. The
    one rule every door reads a typed tier by (``kehu tier set``, ``tier_override`` by the
    ``kept_customer_fields`` hook, ``validate_customer`` saying what to write)."""
    return meant(typed, settings(store).tier_names(), store)
