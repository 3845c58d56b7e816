"""``reports:`` in kehu.yaml: the thresholds of the lifecycle, churn and CLV figures. Apart from
config.py, which holds the other settings' models, and read as kehu.yaml is (``kehu check``
too): the reports read it alone from the settings' unknown keys, so ``new_days: .nan`` passed
check and ended ``report churn`` in "internal error"."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .clock import EARLIEST_DAY, LATEST_DAY
from .i18n import _

#: the longest span a report's days can say: from the first day kehu keeps to the last. A day
#: that many days back from any kept day is still a date (1e300 days ended `report churn` in
#: "internal error: OverflowError"); a longer span would mean the same: never
LONGEST_DAYS = (LATEST_DAY - EARLIEST_DAY).days


class ReportSettings(BaseModel):
    """``reports:`` in kehu.yaml. Days are "within the last N days" (today counts as day 1)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    new_days: int = Field(90, ge=1, le=LONGEST_DAYS, description="first purchase this recent: new")
    active_days: int = Field(90, ge=1, le=LONGEST_DAYS, description="last purchase this recent: active")
    churn_days: int = Field(180, ge=1, le=LONGEST_DAYS,
                            description="no purchase for this long: churned (in between: dormant)")
    clv_years: float = Field(3.0, gt=0, le=100,
                             description="how many more years an active customer is expected to buy")
    margin: float = Field(1.0, gt=0, le=100,
                          description="gross margin applied to CLV (1.0: CLV in revenue, 0.4: in gross profit)")

    @model_validator(mode="after")
    def _active_within_churn(self) -> ReportSettings:
        if self.active_days > self.churn_days:
            raise ValueError(_("active_days must not be more than churn_days"))
        return self
