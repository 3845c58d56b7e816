"""Thank the referrer (感谢转介绍): when a customer they referred is added, and again when that
customer first buys (seed 003: the old customer is thanked whether or not the new one buys).

The referrals, and the message rendered from the ``thank-referrer`` template, come from
:mod:`kehu_core.services.referrals` (the one home of who referred whom); this rule only says
when to thank. Each thanks is a one-day reminder on the referrer's card, its detail the
message to send (the store's ``templates/thank-referrer.j2`` replaces the built-in one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kehu_core.errors import KehuError
from kehu_core.i18n import N_, _
from kehu_core.models import on_one_line
from kehu_core.reminder_engine import HistoryNeeds
from kehu_core.services import referrals

from .rules import Rule, reminder
from .settings import NAME

EVENTS = {referrals.ADDED: N_("now a customer"),
          referrals.BOUGHT: N_("bought for the first time")}


class ThankReferrerRule(Rule):
    name, group = "thank-referrer", "follow_ups"
    lapse_days, event = 14, True  # thanks two weeks late is still thanks

    def history_needs(self, start: Any, end: Any) -> HistoryNeeds:
        return HistoryNeeds()  # the referred customers' dates come from the index

    #: whom each customer referred, for this pass (the engine makes its rules anew for each)
    _referred_by: Callable[[str], list[referrals.Referral]] | None = None

    def find(self, store, customer, history, start, end):  # type: ignore[no-untyped-def]
        cfg = self.cfg.thank_referrer
        if self._referred_by is None:
            self._referred_by = referrals.lookup(store)
        for referral in self._referred_by(customer.id):
            days = {referrals.ADDED: referral.added, referrals.BOUGHT: referral.first_purchase}
            for event in cfg.on:
                day = days[event]
                if day is None or not self.in_window(day, start, end):
                    continue
                try:
                    message = referrals.thank_message(store, customer, referral, event, cfg.template, skip=(NAME,))
                    # on the detail's one line (a reminder's detail is shown as one): the
                    # subject, then the body's lines, each break a space
                    detail = on_one_line(f"{message.subject}\n{message.body}" if message.subject else message.body)
                except KehuError as exc:  # a broken template of the store: say so, still remind
                    detail = on_one_line(f"{referral.referred_name} {day} ({exc})")
                yield reminder(self.name, customer, day, referrals.reminder_anchor(referral, event),
                                _("thank for referring {name}: {event}").format(name=referral.referred_name,
                                                                      event=_(EVENTS[event])), detail)
