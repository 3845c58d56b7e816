"""``purchases:`` and ``credit:`` in kehu.yaml: how a purchase is paid when nobody says, credit
limits and payment terms, and when ``kehu report credit`` suggests a limit up or down."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .config_names import as_stored


class PurchaseSettings(BaseModel):
    """``purchases:`` in kehu.yaml: how a new purchase is recorded when nobody says (the CLI's
    ``kehu purchase add`` and the TUI's purchase form take the same default; see
    docs/payments.md and :mod:`kehu_core.services.payments`)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    default_paid: bool = Field(False, description="a new purchase is paid (true) or on credit (false)")
    credit_days: int | None = Field(
        30, ge=0, le=3650,
        description="a purchase on credit without --due is due this many days after its date "
                    "(null: no due date)")


class LevelCredit(BaseModel):
    """One member level's credit defaults under ``credit: levels:``."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    limit: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2,
                                  description="credit limit (null: no limit)")
    terms_days: int | None = Field(None, ge=0, le=3650, description="payment terms in days")


class CreditSuggestSettings(BaseModel):
    """``credit: suggest:``: when ``kehu report credit`` suggests a limit up or down."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    window_days: int = Field(365, ge=1, le=3650, description="credit sales settled in this many days count")
    raise_after: int = Field(3, ge=1, le=1000, description="settled on time this many times, none late: up")
    raise_by: float = Field(0.5, gt=0, le=10, description="up by this share (0.5: +50 %)")
    lower_overdue_days: int = Field(30, ge=0, le=3650, description="anything overdue longer: down")
    lower_late_share: float = Field(0.5, gt=0, le=1, description="this share of settled sales paid late: down")
    lower_by: float = Field(0.5, gt=0, lt=1, description="down by this share (0.5: halved)")
    round_to: int = Field(100, ge=1, le=1_000_000, description="suggested limits are rounded to this")


class CreditSettings(BaseModel):
    """``credit:`` in kehu.yaml: credit limits and payment terms per member level, and the
    rules of ``kehu report credit`` (see docs/credit.md; the rules are :mod:`kehu_core.credit`)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    default_limit: Decimal | None = Field(
        None, ge=0, max_digits=14, decimal_places=2,
        description="the limit of a customer whose level names none (null: no limit)")
    levels: dict[str, LevelCredit] = Field(default_factory=dict, description="member level → limit, terms")
    grace_days: int = Field(0, ge=0, le=365, description="paid this many days after due is still on time")
    plan_weeks: int = Field(4, ge=1, le=52, description="weeks of the collection plan")
    suggest: CreditSuggestSettings = Field(default_factory=CreditSuggestSettings)

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: dict[str, LevelCredit]) -> dict[str, LevelCredit]:
        return as_stored(value)  # as a customer's level is stored: `Café` decomposed held nobody
