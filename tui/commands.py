"""Command palette (ctrl+p): besides the app's actions, type a name to open a customer."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from textual.app import SystemCommand
from textual.command import Hit, Hits, Provider
from textual.screen import Screen

from kehu_core.i18n import _


class CustomerCommands(Provider):
    """Customers found by the same search as the list (name, pinyin, phone, email, tag)."""

    async def search(self, query: str) -> Hits:
        app = self.app
        store = getattr(app, "store", None)
        if store is None or len(query.strip()) < 2:
            return
        matcher = self.matcher(query)
        for row in store.index.search(query, 20):
            c = row.customer
            title = _("Open customer {name}").format(name=c.name)
            score = max(matcher.match(title), 0.5)  # the index already decided it matches
            yield Hit(score, matcher.highlight(title), partial(app.open_customer, c.id),
                      help=" · ".join(p for p in [c.owner or "", *c.phones[:1], *c.tags] if p))


def kehu_commands(app: Any, screen: Screen, textuals: Iterable[SystemCommand]) -> Iterable[SystemCommand]:
    """The palette's commands: Textual's own in the user's language (tui.i18n.TEXTUAL_WORDS),
    kehu's screens, and the actions of the screen open (its ``COMMANDS_HERE``)."""
    for command in textuals:
        yield command._replace(title=_(command.title), help=_(command.help))
    yield SystemCommand(_("All customers"), _("The customer list"), app.action_customers)
    yield SystemCommand(_("Search customers"), _("Search by name, pinyin, phone, email, tag"),
                        app.action_search)
    yield SystemCommand(_("Today"), _("Reminders due: mark done or snooze"), app.action_today)
    yield SystemCommand(_("Dashboard"), _("Tiers, revenue by month, products, receivables"),
                        app.action_dashboard)
    yield SystemCommand(_("Credit and collections"),
                        _("How each customer pays, suggested limits, the collection plan"),
                        app.action_credit)
    yield SystemCommand(_("Referrals"), _("Who referred whom, conversion, revenue, thanks owed"),
                        app.action_referrals)
    yield SystemCommand(_("Light / dark theme"), _("Switch between the light and the dark theme"),
                        app.action_toggle_theme)
    yield SystemCommand(_("Key bindings"), _("Every key of every screen"), app.action_help)
    for name, text in getattr(screen, "COMMANDS_HERE", ()):
        yield SystemCommand(_(text), _("on this screen ({action})").format(action=name),
                            lambda name=name: screen.run_action(name))
