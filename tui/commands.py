"""Command palette (ctrl+p): besides the app's actions, type a name to open a customer."""

from __future__ import annotations

from functools import partial

from textual.command import Hit, Hits, Provider

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
