"""The referrals report's views (``kehu report referrals``): the totals, one row per referrer
and the tree of who brought whom. They draw what
:func:`kehu_core.reports.referrals.referrals_report` computed; nothing is computed here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from kehu_core.i18n import N_, _
from kehu_core.reports.referrals import drawn_tree

from ..plain_table import PlainTable
from ..plain_text import Static
from .credit import amount

if TYPE_CHECKING:
    from kehu_core.reports.referrals import ReferralsReport

COLUMNS = ((N_("Referrer"), False), (N_("Owner"), False), (N_("Referred"), True), (N_("Bought"), True),
           (N_("Conversion"), True), (N_("Revenue"), True), (N_("Points"), True), (N_("Thanks owed"), True))


def summary(report: ReferralsReport) -> Text:
    from kehu_core.reports.referrals import summary as sentence

    return Text(sentence(report, amount))


class ReferrersTable(PlainTable):
    """One row per referrer (key: their customer id; Enter opens them)."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for title, _figure in COLUMNS:
            self.add_column(_(title), key=title)

    def show(self, report: ReferralsReport) -> None:
        self.clear()
        for r in report.referrers:
            cells = (r.name, r.owner or "", str(len(r.referred)), str(r.converted), f"{r.conversion:g}%",
                     amount(r.revenue), str(r.bonus_points), str(r.thanks_owed or ""))
            self.add_row(*[Text(v, justify="right") if figure else v
                           for v, (_title, figure) in zip(cells, COLUMNS, strict=True)], key=r.customer_id)


class ReferralTree(Static):
    """Who brought whom, with what each referred customer has bought."""

    def show(self, report: ReferralsReport) -> None:
        if not report.tree:
            self.update(Text(_("no referrals yet"), style="dim"))
            return
        self.update(drawn_tree(report, amount, guide_style="dim"))
