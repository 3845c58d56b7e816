"""Today's visits (今日拜访): whom a rep visits on a day and in what order, the rep's changes
to that list, the 客户资料卡 they take along, and recording how a visit went.

- :mod:`.plan` picks the day's visits from rules that live elsewhere (one home per rule):
  key-account cadence from the reminder engine (the reminders plugin's ``visit`` rule, tier
  from the tiering plugin), overdue payments from ``reports.receivables``, open complaints
  from ``kehu_core.complaints``, dormant large customers from ``reports.lifecycle`` stages and
  the tier filter of ``services.scoring``, birthdays from ``kehu_core.calendar``; and the
  rep's own changes (:mod:`.planfile`, a YAML file in the store).
- :mod:`.cards` gathers what a card shows (plain data, nothing printed);
  :mod:`.pdf` lays the cards out with reportlab (imported only there, on first use).
- :func:`.plan.record_visit` records a visit's outcome (``kehu visits done``, the TUI).
"""
