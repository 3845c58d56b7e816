"""The search box and the tag / tier / owner / attitude filters above the customer list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.suggester import SuggestFromList
from textual.widgets import Input, Select

from kehu_core.attitude import NAMES as ATTITUDE_NAMES
from kehu_core.errors import KehuError
from kehu_core.i18n import N_, _
from kehu_core.names import shown
from kehu_core.services.scoring import tier_filter, tier_names

from ...messages import FiltersChanged
from ..plain_text import Label

if TYPE_CHECKING:
    from kehu_core.store import Store

SEARCH_HINT = N_("/ search: name, pinyin (zm), phone digits, email, tag")


class SearchBox(Input):
    """Search as you type; the list below follows every keystroke."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(placeholder=_(SEARCH_HINT), id="search", **kwargs)


class TierInput(Input):
    """The tier filter. ``/`` is not typed here (no tier has one): it goes to the screen,
    whose ``/`` focuses the search box, from wherever the focus was left (the palette
    gives the focus back to the field that had it)."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character != "/" and super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        if event.character == "/":
            event.prevent_default()  # not typed: the key goes on up to the bindings


class FilterBar(Horizontal):
    """Tag and owner come from the index; tier is computed by plugins, so it is typed (with
    the store's tier names as suggestions; an unknown one is refused with a notification);
    attitude is one of kehu_core.attitude's three (loyal, switching, no loyalty)."""

    def __init__(self, store: Store, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = store

    def compose(self) -> ComposeResult:
        tags = self.store.index.distinct_tags()
        owners = self.store.index.distinct_owners()
        yield Label(_("Tag"), classes="filter-label")
        yield Select([(t, t) for t in tags], prompt=_("any tag"), id="filter-tag")
        yield Label(_("Tier"), classes="filter-label")
        yield TierInput(placeholder=_("any tier"), id="filter-tier", suggester=SuggestFromList(
            self._tier_names(), case_sensitive=False))
        yield Label(_("Owner"), classes="filter-label")
        yield Select([(o, o) for o in owners], prompt=_("any owner"), id="filter-owner")
        yield Label(_("Attitude"), classes="filter-label")
        yield Select([(_(label), name) for name, label in ATTITUDE_NAMES.items()],
                     prompt=_("any attitude"), id="filter-attitude")

    def _tier_names(self) -> list[str]:
        return [str(shown(n, self.store)) for n in tier_names(self.store)]  # as the list shows them

    def follow_settings(self) -> None:
        """The tier names suggested anew: kehu.yaml read again (a `kehu sync` in another
        terminal) may have renamed the tiers, and the suggestions were made at compose."""
        self.query_one("#filter-tier", Input).suggester = SuggestFromList(
            self._tier_names(), case_sensitive=False)

    def current(self) -> tuple[str | None, str | None, str | None, str | None]:
        """(tag, tier, owner, attitude), None where any goes."""
        tag = self.query_one("#filter-tag", Select).value
        owner = self.query_one("#filter-owner", Select).value
        attitude = self.query_one("#filter-attitude", Select).value
        tier = self.query_one("#filter-tier", Input).value.strip() or None
        return (
            tag if isinstance(tag, str) else None,
            tier,
            owner if isinstance(owner, str) else None,
            attitude if isinstance(attitude, str) else None,
        )

    def _changed(self) -> None:
        tag, tier, owner, attitude = self.current()
        if tier is not None:
            try:
                tier_filter(self.store, tier)  # the CLI's check: an unknown tier is refused
            except KehuError as exc:
                self.notify(str(exc), severity="error")
                return
        self.post_message(FiltersChanged(tag, tier, owner, attitude))

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._changed()

    @on(Input.Submitted, "#filter-tier")
    def _tier_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._changed()

    @on(Input.Blurred, "#filter-tier")
    def _tier_left(self, event: Input.Blurred) -> None:
        self._changed()

    def clear(self) -> None:
        self.query_one("#filter-tag", Select).clear()
        self.query_one("#filter-owner", Select).clear()
        self.query_one("#filter-attitude", Select).clear()
        self.query_one("#filter-tier", Input).value = ""
        self._changed()
