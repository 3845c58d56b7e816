"""``plugins: reminders:`` in kehu.yaml: each rule's settings (days, spreads, holidays ...),
validated once per store (:func:`settings`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kehu_core import calendar
from kehu_core.i18n import _
from kehu_core.plugins import plugin_settings
from kehu_core.reminder_engine import LapseDays
from kehu_core.store import Store

NAME = "reminders"

#: the most days a setting of these rules counts (ten years, as `kehu reminders --days`): a
#: day further than kehu's dates reach ended every rule so set in "OverflowError" on every
#: command that lists reminders (`customer show`, `visits plan`), for the whole team, `check` ok
MOST_DAYS = 3660
#: a number of days a rule counts
Days = Annotated[int, Field(ge=0, le=MOST_DAYS)]
#: a rule's period: every so many days, one at least (0 divided by nothing)
Every = Annotated[int, Field(ge=1, le=MOST_DAYS)]


class RuleSettings(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    enabled: bool = True


class AfterPurchaseSettings(RuleSettings):
    days: Days


class TouchSettings(RuleSettings):
    every_days: Every = 30


class BirthdaySettings(RuleSettings):
    lead_days: Days = 0  # remind this many days before (to buy a gift)


class HolidaySettings(RuleSettings):
    names: list[str] = Field(default_factory=lambda: ["元旦", "春节", "端午节", "中秋节", "国庆节"])
    lunar: dict[str, str] = Field(default_factory=lambda: {"元宵节": "01-15", "重阳节": "09-09"})
    lead_days: Days = 3  # greetings spread over the days before the holiday
    tiers: list[str] = Field(default_factory=list)  # only customers of these tiers (empty: all)

    @field_validator("lunar")
    @classmethod
    def _lunar_dates(cls, value: dict[str, str]) -> dict[str, str]:
        for name, day in value.items():
            try:
                calendar.parse_lunar(str(day))
            except ValueError:
                raise ValueError(_("{name}: {day} is not a lunar MM-DD (闰MM-DD for a leap month)").format(
                    name=name, day=repr(day))) from None
        return value


class KeyVisitSettings(RuleSettings):
    every_days: dict[str, Every] = Field(default_factory=lambda: {"重要客户": 30, "主要客户": 90})


class OverdueSettings(RuleSettings):
    grace_days: Days = 0


class DormantSettings(RuleSettings):
    days: Every = 90


class ThankReferrerSettings(RuleSettings):
    """Thank the referrer when the customer they referred is added and when they first buy
    (the rule is in ``thanks.py``); ``template``: the message, ``templates/NAME.j2``."""

    on: list[Literal["added", "bought"]] = Field(default_factory=lambda: ["added", "bought"])
    template: str = Field("thank-referrer", min_length=1)


class RemindersSettings(BaseModel):
    """``plugins: reminders:`` in kehu.yaml."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
    # how long a missed reminder still shows, per rule name (null: never lapses); read by the
    # engine (kehu_core.reminder_engine.lapse_of), which also applies it to other plugins' rules
    lapse_days: LapseDays = Field(default_factory=dict)
    # before lapse_days: the days a missed greeting, survey, birthday or holiday still showed;
    # still read as their lapse when lapse_days does not name them
    catch_up_days: Days | None = None
    spread_days: Every = 7
    greeting: AfterPurchaseSettings = Field(default_factory=lambda: AfterPurchaseSettings(days=2))
    survey: AfterPurchaseSettings = Field(default_factory=lambda: AfterPurchaseSettings(days=7))
    touch: TouchSettings = Field(default_factory=TouchSettings)
    birthday: BirthdaySettings = Field(default_factory=BirthdaySettings)
    holidays: HolidaySettings = Field(default_factory=HolidaySettings)
    key_visits: KeyVisitSettings = Field(default_factory=KeyVisitSettings)
    overdue: OverdueSettings = Field(default_factory=OverdueSettings)
    dormant: DormantSettings = Field(default_factory=DormantSettings)
    complaints: RuleSettings = Field(default_factory=RuleSettings)  # deadlines: `complaints:` in kehu.yaml
    thank_referrer: ThankReferrerSettings = Field(default_factory=ThankReferrerSettings)


def settings(store: Store) -> RemindersSettings:
    return plugin_settings(store, NAME, RemindersSettings)
