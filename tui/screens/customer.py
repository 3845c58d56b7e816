"""One customer: profile, tier and points, next reminders, timeline, plugin panels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header

from kehu_core.confidential import revealed
from kehu_core.errors import ConflictError, KehuError
from kehu_core.i18n import N_, _
from kehu_core.shown import visible

from ..background import saying_errors
from ..editor import EditSession
from ..messages import CustomerSaved, StoreChanged
from ..widgets.complaints import ComplaintTable, open_complaints
from ..widgets.complaints import move as move_complaint
from ..widgets.customer.panels import PluginPanels
from ..widgets.customer.profile import ProfileCard
from ..widgets.customer.timeline import Timeline
from ..widgets.customer.values import ValuesCard
from .confirm import ConfirmScreen

if TYPE_CHECKING:
    from kehu_core.store import Store


class CustomerScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", N_("Back")),
        Binding("e", "edit", N_("Edit")),
        Binding("E", "edit_external", N_("$EDITOR"), key_display="E"),
        Binding("p", "add_purchase", N_("Purchase")),
        Binding("i", "add_interaction", N_("Interaction")),
        Binding("r", "reload", N_("Reload")),
        Binding("a", "complaint('ack')", N_("Ack complaint")),
        Binding("v", "complaint('resolve')", N_("Resolve complaint")),
        Binding("dollar_sign", "pay", N_("Pay"), key_display="$"),
        Binding("o", "visit_done", N_("Visit outcome")),
        Binding("M", "merge", N_("Merge"), key_display="M", show=False),  # in ? and the palette
    ]
    COMMANDS_HERE = [
        ("edit", N_("Edit this customer")),
        ("edit_external", N_("Edit this customer's file in $EDITOR")),
        ("add_purchase", N_("Add a purchase")),
        ("add_interaction", N_("Add a visit, call, message, complaint ...")),
        ("pay", N_("Record a payment for the selected purchase")),
        ("visit_done", N_("Record a visit and how it went (拜访结果)")),
        ("merge", N_("Merge another customer (a duplicate) into this one")),
    ]

    def __init__(self, store: Store, customer_id: str) -> None:
        super().__init__()
        self.store = store
        self.customer_id = customer_id
        self.version: str | None = None
        self.unreadable: str | None = None  # the problem said when this customer last failed to load
        self.shown_by_panels: frozenset[str] = frozenset()  # Panel.shows of the plugin panels

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="detail"):
            with VerticalScroll(id="detail-left"):
                yield ProfileCard(id="profile", classes="card")
                yield ValuesCard(id="values", classes="card")
                yield PluginPanels(id="plugin-panels")
            with Vertical(id="detail-right"):
                yield ComplaintTable(with_customer=False, id="customer-complaints", classes="card")
                yield Timeline(id="timeline", classes="card")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#profile").border_title = _("Profile")
        self.query_one("#values").border_title = _("Tier · points · reminders")
        self.query_one("#timeline").border_title = _("Timeline")
        self.query_one("#customer-complaints").border_title = _("Open complaints · a ack · v resolve")
        self.load()
        self.query_one(Timeline).focus()

    def load(self) -> None:
        store = self.store
        try:
            customer = store.get(self.customer_id)
            history = store.interactions(self.customer_id)
        except KehuError as exc:
            self._unreadable(exc)
            return
        self.unreadable = None
        self.version = store.file_version(self.customer_id)
        self.sub_title = visible(customer.name)  # the title, as every list shows the name
        referrer = None
        if customer.referrer:
            row = store.index.get(customer.referrer)
            referrer = row.customer.name if row else None
        opened = revealed(store, customer)  # confidential fields the user's key opens, in plain
        self.query_one(ProfileCard).show(opened.customer, referrer, region=store.config.region,
                                         locked=opened.locked)
        panels = store.plugins.collect("tui_panels", store=store) if store.plugins else []
        self.shown_by_panels = frozenset(name for panel in panels for name in panel.shows)
        self._load_values()
        self.query_one(ComplaintTable).show(open_complaints(store, self.customer_id))
        timeline = self.query_one(Timeline)
        timeline.show(history)
        timeline.border_subtitle = _totals(history)
        self.query_one(PluginPanels).show(store, customer, panels)

    @work(exclusive=True, group="values")
    @saying_errors
    async def _load_values(self) -> None:
        """Tier, points, next reminder: computed on the background thread (see background.py)."""
        from ..widgets.customer.values import customer_values

        card = self.query_one(ValuesCard)
        if card.values is None:
            card.show_pending()
        try:
            found = await self.app.background.run(customer_values, self.customer_id)  # type: ignore[attr-defined]
        except BaseException:
            card.show_failed()  # not "computing …" for ever: the notice says why
            raise
        card.show(self.store, self.customer_id, found, self.shown_by_panels)

    # --- actions --------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#timeline")
    def _open_record(self, event: DataTable.RowSelected) -> None:
        """Enter on a timeline row: the whole interaction in a dialog (RecordScreen)."""
        from .record import RecordScreen

        try:
            record = self.store.get_interaction(self.customer_id, str(event.row_key.value))
            name = self.store.get(self.customer_id).name
        except KehuError as exc:
            self.notify(str(exc), severity="error")
            return
        self.app.push_screen(RecordScreen(name, record))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_complaint(self, verb: str) -> None:
        """Acknowledge or resolve the selected open complaint (kehu_core.complaints.move)."""
        view = self.query_one(ComplaintTable).selected
        if view is None:
            self.notify(_("no open complaint"), severity="warning")
            return
        if move_complaint(self, self.store, self.customer_id, view.complaint.id, verb):
            self.app.broadcast(CustomerSaved(self.customer_id))  # type: ignore[attr-defined]

    def action_reload(self) -> None:
        self.unreadable = None  # asked for: said again if it still fails
        self.load()

    def action_pay(self) -> None:
        """A payment for the purchase on the timeline's selected row (PayScreen, through
        kehu_core.services.payments.pay as `kehu purchase pay` does)."""
        from kehu_core.models import Purchase

        from .pay import PayScreen

        timeline = self.query_one(Timeline)
        record = None
        if timeline.row_count:
            key = timeline.coordinate_to_cell_key(timeline.cursor_coordinate).row_key.value
            try:
                record = self.store.get_interaction(self.customer_id, str(key))
            except KehuError as exc:
                self.notify(str(exc), severity="error")
                return
        if not isinstance(record, Purchase):
            self.notify(_("select a purchase on the timeline to record a payment"), severity="warning")
            return
        if record.voided is not None or record.owed <= 0:
            self.notify(f"{record.date} ¥{record.amount}: " + (_("voided") if record.voided else _("already paid")),
                        severity="warning")
            return

        def paid(result: str | None) -> None:
            if result:
                self.notify(result)
                self.app.broadcast(CustomerSaved(self.customer_id))  # type: ignore[attr-defined]

        try:  # gone or broken since the screen was drawn (see AddInteractionScreen)
            customer = self.store.get(self.customer_id)
        except KehuError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        self.app.push_screen(PayScreen(self.store, customer, record), paid)

    @work(exclusive=True, group="merge")
    @saying_errors
    async def action_merge(self) -> None:
        """Pick another customer (a duplicate) and merge it into this one, through
        kehu_core.services.customer_merge.merge_customers as `kehu customer merge` does."""
        from kehu_core.services import customer_merge

        from .merge import MergeScreen

        try:
            keep = self.store.get(self.customer_id)
        except KehuError as exc:
            self.notify(str(exc), severity="error")
            return
        other_id = await self.app.push_screen_wait(MergeScreen(self.store, keep.id, keep.name))
        if not other_id:
            return
        try:
            other = self.store.get(other_id)
        except KehuError as exc:
            self.notify(str(exc), severity="error")
            return
        sure = await self.app.push_screen_wait(ConfirmScreen(
            _("Merge {name} ({id}) into {name2} ({id2})?").format(
                name=other.name, id=other.id, name2=keep.name, id2=keep.id),
            _("Everything of the other record moves here (phones, emails, tags, interactions, points, "
              "referrals); where both have a value this one's stays and the other's is kept under "
              "also_known. The other record is removed."), yes=_("Merge"), no=_("Cancel")))
        if not sure:
            return
        try:
            report = customer_merge.merge_customers(self.store, keep.id, other.id)
        except KehuError as exc:
            self.notify(_("nothing was merged: {exc}").format(exc=exc), severity="error", timeout=15)
            return
        self.notify(report.summary(), timeout=10)
        self.app.broadcast(StoreChanged(1))  # type: ignore[attr-defined]  # the list loses OTHER
        self.load()

    def action_edit(self) -> None:
        self.app.edit_customer(self.customer_id)  # type: ignore[attr-defined]

    def action_add_purchase(self) -> None:
        self.app.add_interaction(self.customer_id, "purchase")  # type: ignore[attr-defined]

    def action_add_interaction(self) -> None:
        self.app.add_interaction(self.customer_id, None)  # type: ignore[attr-defined]

    def action_visit_done(self) -> None:
        try:
            name = self.store.get(self.customer_id).name
        except KehuError as exc:
            self.notify(str(exc), severity="error")
            return
        self.app.record_visit(self.customer_id, name)  # type: ignore[attr-defined]

    @work(exclusive=True, group="editor")
    @saying_errors
    async def action_edit_external(self) -> None:
        """Open the file in $EDITOR; on a validation error offer to open it again."""
        try:
            session = EditSession.start(self.store, self.customer_id)
        except KehuError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        while True:
            self._run_editor(session)
            if not session.changed:
                session.discard()
                self.notify(_("no change"))
                return
            problems = session.problems()
            if not problems:
                break
            again = await self.app.push_screen_wait(ConfirmScreen(
                _("The edited file has errors. Open the editor again?"), "\n".join(problems),
                yes=_("Edit again"), no=_("Discard my edit")))
            if not again:
                session.discard()
                self.notify(_("edit discarded; the record is unchanged"))
                return
        try:
            session.save()
        except ConflictError as exc:
            self.notify(str(exc), severity="error", timeout=15)
            return
        self.app.broadcast(CustomerSaved(self.customer_id))  # type: ignore[attr-defined]
        self.notify(_("saved"))

    def _run_editor(self, session: EditSession) -> None:
        from textual.app import SuspendNotSupported

        try:
            with self.app.suspend():
                session.run_editor()
        except SuspendNotSupported:  # headless (tests): there is no terminal to hand over
            session.run_editor()

    # --- keeping up with the store --------------------------------------------------------

    def on_store_changed(self, event: StoreChanged) -> None:
        self._reload_if_changed(announce=True)

    def on_customer_saved(self, event: CustomerSaved) -> None:
        if event.customer_id == self.customer_id:
            self.load()

    def _reload_if_changed(self, announce: bool) -> None:
        try:
            version = self.store.file_version(self.customer_id)
        except OSError:
            self.notify(_("this customer's file is gone"), severity="error", timeout=10)
            return
        except KehuError as exc:  # a link or a FIFO in its place: ended the app in a traceback
            self._unreadable(exc)
            return
        # Interactions and ledgers may have changed too: reload; only the profile is announced.
        profile_changed = version != self.version
        self.load()
        if announce and profile_changed:
            self.notify(_("this customer was changed outside this window; reloaded"))


    def _unreadable(self, exc: KehuError) -> None:
        """Say why this customer cannot be shown, once: every change the watcher sees loads the
        screen again, and the same broken file was said three times as the customer opened."""
        if str(exc) != self.unreadable:
            self.notify(str(exc), severity="error", timeout=10)
        self.unreadable = str(exc)


def _totals(history: list[Any]) -> str:
    from decimal import Decimal

    from .. import formatting

    purchases = [h for h in history if h.kind == "purchase" and h.voided is None]
    total = sum((h.amount for h in purchases), Decimal(0))
    return _("{purchases} purchases · {total} · {history} records").format(
        purchases=len(purchases), total=formatting.money(total), history=len(history))
