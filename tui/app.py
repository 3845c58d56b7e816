"""The kehu Textual app: ``kehu tui`` runs ``KehuApp(store).run()``.

The app holds no business logic: screens ask ``kehu_core`` (the store, its index, plugins,
reminders, analytics) and show the answers. Screens live in ``screens/`` (one per file),
widgets in ``widgets/<area>/``, messages in ``messages.py``, the look in ``kehu.tcss``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.message import Message
from textual.screen import Screen
from textual.theme import ThemeProvider

from kehu_core.errors import KehuError
from kehu_core.i18n import N_, _
from kehu_core.plugin_process import Elsewhere
from kehu_core.plugins import PluginFailure
from kehu_core.plugins import logger as plugin_logger

from .background import FILL_FIRST_UP_TO, Background, open_index_quickly
from .commands import CustomerCommands, kehu_commands
from .i18n import KehuCommandPalette, localize_bindings
from .messages import CustomerSaved, OpenCustomer, StoreChanged
from .noticing import StoreNoticing
from .screens.customer import CustomerScreen
from .screens.customers import CustomersScreen
from .screens.dashboard import DashboardScreen
from .screens.edit import EditCustomerScreen
from .screens.help import HelpScreen
from .screens.interaction import AddInteractionScreen
from .screens.reports import CreditScreen, ReferralsScreen
from .screens.today import TodayScreen
from .watcher import StoreWatcher

if TYPE_CHECKING:
    from kehu_core.store import Store

DARK, LIGHT = "textual-dark", "textual-light"


class PluginFailureNotifier(logging.Handler):
    """Plugin failures (the ``kehu.plugins`` logger, from any thread: the background workers'
    stores have hosts of their own) as notifications, each failure once."""

    def __init__(self, app: KehuApp) -> None:
        super().__init__(logging.WARNING)
        self.app = app
        self.shown: set[tuple[str, str, str]] = set()

    def emit(self, record: logging.LogRecord) -> None:
        failure = getattr(record, "failure", None)
        if isinstance(failure, PluginFailure):
            self.show(failure)

    def show(self, failure: PluginFailure) -> None:
        key = (failure.plugin, failure.hook, failure.error)
        if key in self.shown:
            return
        self.shown.add(key)
        wrong = failure.error.startswith("wrong result")
        self.app.notify(  # thread-safe
            f"{failure.hook}: {failure.error}", title=_("plugin {name!r} failed").format(name=failure.plugin),
            severity="warning" if wrong else "error", timeout=10, markup=False)


class KehuApp(StoreNoticing, App):
    """Customers, today's reminders and a dashboard for one store."""

    CSS_PATH = "kehu.tcss"
    TITLE = "kehu 客户"
    COMMANDS = App.COMMANDS | {CustomerCommands}
    BINDINGS = [
        Binding("q", "quit", N_("Quit")),
        Binding("question_mark", "help", N_("Help"), key_display="?"),
        Binding("t", "today", N_("Today")),
        Binding("d", "dashboard", N_("Dashboard")),
        Binding("ctrl+t", "toggle_theme", N_("Light/dark")),
        Binding("f2", "save_screenshot", N_("Screenshot"), show=False),
        Binding("ctrl+p", "command_palette", N_("Commands"), show=False,
                tooltip=N_("Command palette: every action, and customers by name")),
    ]

    def __init__(
        self, store: Store, *, today: dt.date | None = None, watch_interval: float = 2.0,
        theme: str = DARK,
    ) -> None:
        """``today`` fixes the date the app works with (tests, the demo); default: the store's.
        ``watch_interval`` is the shortest pause, in seconds, between two looks for changes
        made by other processes (0 turns watching off)."""
        localize_bindings()  # before the app and its screens copy them
        super().__init__()
        # Rich renderables (tables, bars, trees) draw a str as Rich markup on this console: a
        # product, a rep or a ledger reason named "[/]" ended the app in MarkupError. kehu's
        # screens style with Text, never with markup, so the console reads none (Rich keeps the
        # setting in ``_markup``, which Textual passes as ``markup=True``)
        self.console._markup = False
        if today is not None:
            store.today = today  # the store's plugins and services work at the app's day
        store.journal_as = "kehu tui"  # each save in the app is a change `kehu undo` takes back
        self.store = store
        self.watcher = StoreWatcher(store, watch_interval)
        # the workers' stores keep the app's settings (kept while a changed kehu.yaml is broken)
        self.background = Background(store.root, today=store.today, settings=lambda: self.store.config)
        self.index_ready = threading.Event()  # cleared while the index is made again (_refill_index)
        self.index_ready.set()
        self.reports = Background(store.root, name="kehu-reports", today=store.today,  # the dashboard's figures
                                  settings=lambda: self.store.config, index_ready=self.index_ready)
        self.theme = theme
        self.plugin_failures = PluginFailureNotifier(self)
        self._logging_held = contextlib.ExitStack()  # while the app runs (on_mount, on_unmount)
        self._merge_said: tuple[str, ...] = ()  # the merge notice last shown (_show_merge_waiting)
        self._scan_said: str | None = None  # the watcher's failure last shown (_check_store)
        self.rebuilding = False  # the index made anew after damage is being filled (_refill_index)
        self._rebuilds = 0  # how many times it was made anew: a look at the files begun before is dropped
        self._fill_first = False  # the index found empty at start, filled on the background thread
        # the day the app works at, always on screen: a demo or a --today store is not "now"
        self.sub_title = f"{store.config.name} · {store.today.isoformat()}"

    def notify(self, message: str, *, title: str = "", severity: Any = "information",  # type: ignore[override]
               timeout: float | None = None, markup: bool = False) -> None:
        """Textual's toast, never reading markup: a message names customers and files ("[/]"
        in a name was a MarkupError); widgets' ``notify`` pass ``markup=True``, so it is not asked."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    @property
    def today(self) -> dt.date:
        return self.store.today

    def get_default_screen(self) -> Screen:
        if not open_index_quickly(self.store, fill_up_to=FILL_FIRST_UP_TO):  # filled after on_mount
            self.rebuilding, self._fill_first = True, True
            self.index_ready.clear()
        self.store.index.refill_elsewhere = self._refill_index  # the screen never waits for a rebuild
        return CustomersScreen(self.store)

    def on_mount(self) -> None:
        plugin_logger.addHandler(self.plugin_failures)
        # kehu's logging as set up here (the notifier) put back as each plugin hook of a worker
        # returns: one quieting logging there left every later failure of the session unshown
        self._logging_held.enter_context(Elsewhere.holding(streams=False))
        for failure in self.store.plugins.failures:  # those from before the app was up
            self.plugin_failures.show(failure)
        from kehu_core.plugin_names import as_warning

        for warning in self.store.plugins.unknown_names():  # a typo turning the plugins off
            self.notify(as_warning(warning), severity="warning", timeout=15, markup=False)
        if self._fill_first:  # a new clone of a big store: the list says so and fills when it is done
            self._start_refill(_("the index is being made from this store's records (a new clone, a deleted "
                                 "index): the customers are listed when it is done"), "information")
        self._show_merge_waiting()
        if self.watcher.interval > 0:
            # The first look comes soon: the index shown at start may be older than the files.
            self.set_timer(min(self.watcher.interval, 0.5), self._watch)

    def on_unmount(self) -> None:
        self._logging_held.close()
        plugin_logger.removeHandler(self.plugin_failures)
        self.background.shutdown()
        self.reports.shutdown()
        self.index_ready.set()  # a job waiting for a rebuild the app quit in ends (cancelled)

    def broadcast(self, message: Message) -> None:
        """Tell every open screen (a message object can be delivered only once: copy it)."""
        self.background.invalidate()
        self.reports.invalidate()
        for screen in self.screen_stack:
            if isinstance(message, StoreChanged):
                screen.post_message(StoreChanged(message.files))
            elif isinstance(message, CustomerSaved):
                screen.post_message(CustomerSaved(message.customer_id))

    # --- navigation -----------------------------------------------------------------------

    def on_open_customer(self, message: OpenCustomer) -> None:
        self.open_customer(message.customer_id)

    def open_customer(self, customer_id: str) -> None:
        self.push_screen(CustomerScreen(self.store, customer_id))

    def edit_customer(self, customer_id: str) -> None:
        self.push_screen(EditCustomerScreen(self.store, customer_id))

    def add_interaction(self, customer_id: str, kind: str | None) -> None:
        """The quick form for a purchase (``kind="purchase"``) or any other interaction."""

        def saved(result: str | None) -> None:
            if result:
                self.broadcast(CustomerSaved(customer_id))

        try:  # gone (merged or removed in another window, a sync), or broken by hand since
            customer = self.store.get(customer_id)
        except KehuError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        self.push_screen(AddInteractionScreen(self.store, customer, kind, self.today), saved)

    def record_visit(self, customer_id: str, customer_name: str) -> None:
        """The visit-outcome dialog (``o``): records a visit on the app's day."""
        from .screens.visit import VisitDoneScreen

        def saved(result: str | None) -> None:
            if result:
                self.notify(_("visit to {name} recorded").format(name=customer_name))
                self.broadcast(CustomerSaved(customer_id))

        self.push_screen(VisitDoneScreen(self.store, customer_id, customer_name, self.today), saved)

    def action_today(self) -> None:
        if not isinstance(self.screen, TodayScreen):
            self.push_screen(TodayScreen(self.store, self.today))

    def action_dashboard(self) -> None:
        if not isinstance(self.screen, DashboardScreen):
            self.push_screen(DashboardScreen(self.store, self.today))

    def action_credit(self) -> None:
        if not isinstance(self.screen, CreditScreen):
            self.push_screen(CreditScreen(self.store, self.today))

    def action_referrals(self) -> None:
        if not isinstance(self.screen, ReferralsScreen):
            self.push_screen(ReferralsScreen(self.store, self.today))

    def action_customers(self) -> None:
        while len(self.screen_stack) > 1 and not isinstance(self.screen, CustomersScreen):
            self.pop_screen()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.theme == DARK else DARK

    def action_save_screenshot(self) -> None:
        """An SVG of the screen in the current folder (how the README's pictures are made), but
        never in a store's: `kehu sync` commits every file there, and pushed the screen (the
        customers listed, the confidential fields a key holder sees opened) to every clone. In
        a store it goes to the user's downloads folder, as Textual's own palette command puts
        it; one that cannot be written (the folder gone, read-only) is said, not a traceback."""
        from platformdirs import user_downloads_path

        from kehu_core.discovery import find_store
        from kehu_core.errors import os_error_text

        try:
            folder = Path.cwd()
            in_store = find_store(folder) is not None or folder.resolve().is_relative_to(self.store.root.resolve())
            if in_store:
                folder = user_downloads_path()
                folder.mkdir(parents=True, exist_ok=True)
            path = self.save_screenshot(path=str(folder))
        except OSError as exc:
            self.notify(_("screenshot not saved: {why}").format(why=os_error_text(exc)), severity="error")
            return
        if in_store:
            self.notify(_("saved {path}, not in the store's folder, whose every file `kehu sync` shares").format(
                path=path))
        else:
            self.notify(_("saved {path}").format(path=path))

    def action_search(self) -> None:
        self.action_customers()
        self.screen.run_action("focus_search")

    def action_command_palette(self) -> None:
        """Textual's command palette, its placeholder in the user's language."""
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(KehuCommandPalette(id="--command-palette", placeholder=_("Search for commands…")))

    def search_themes(self) -> None:
        self.push_screen(KehuCommandPalette(providers=[ThemeProvider], placeholder=_("Search for themes…")))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        return kehu_commands(self, screen, super().get_system_commands(screen))
