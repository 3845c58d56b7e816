"""What the app notices of other processes (:class:`StoreNoticing`, a part of
:class:`~.app.KehuApp`): files changed outside it (a ``kehu sync``, an editor, another app),
kehu.yaml read again, the index made anew on a background thread when it was damaged or too
much changed, and what a merge left waiting for a person."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work

from kehu_core.errors import KehuError
from kehu_core.i18n import _

from .background import Background, refill_index
from .messages import StoreChanged
from .watcher import MANY_FILES, StoreWatcher, looking_index

if TYPE_CHECKING:
    from textual.message import Message

    from kehu_core.store import Store


class StoreNoticing:
    """The app's looks at the store (every ``watcher.interval`` seconds) and what it does with what
    they find; mixed into :class:`~.app.KehuApp`, whose ``__init__`` sets the state used here."""

    store: Store
    watcher: StoreWatcher
    background: Background
    index_ready: threading.Event
    rebuilding: bool
    _rebuilds: int
    _merge_said: tuple[str, ...]
    _scan_said: str | None

    if TYPE_CHECKING:  # the App's, which this is mixed into
        is_running: bool
        sub_title: Any

        def notify(self, message: str, *, title: str = "", severity: Any = "information",
                   timeout: float | None = None, markup: bool = False) -> None: ...
        def call_from_thread(self, callback: Any, *args: Any, **kwargs: Any) -> Any: ...
        def set_timer(self, delay: float, callback: Any = None) -> Any: ...
        def broadcast(self, message: Message) -> None: ...

    def _watch(self) -> None:
        self._check_store()

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def _check_store(self) -> None:
        rebuilds = self._rebuilds
        try:
            changed = self.watcher.changed_files()
        except Exception as exc:  # e.g. a folder vanished mid-scan: say it and look again later
            said = _("could not scan the store: {error}").format(error=exc)
            if said != self._scan_said:  # once while it lasts, not at every look (every 2 s)
                self._scan_said = said
                self.call_from_thread(self.notify, said, severity="error")
            changed = []
        else:
            self._scan_said = None
        self.call_from_thread(self._checked, changed, self.watcher.settings_changed(), rebuilds)

    @work(thread=True, exclusive=True, group="merge", exit_on_error=False)
    def _show_merge_waiting(self) -> None:
        """What a `kehu sync` merge left for a person (files git could not merge, fields
        changed two ways), as `kehu check` words it, so it is seen without running check."""
        from kehu_core.services.merge_finishing import waiting
        from kehu_core.store import Store

        try:  # a store of its own: the app's index connection belongs to the app's thread
            store = Store.open(self.store.root, today=self.store.today)
            # while the app makes the index again, never refreshed here (a second whole rebuild
            # beside the app's); else brought up to date, as at start for a file changed before
            index = store.use_index(looking_index(store)) if self.rebuilding else None
        except Exception:  # noqa: BLE001 - a notice, never a reason for the app to fail
            return
        try:
            problems = waiting(store)
        except Exception:  # noqa: BLE001 - a notice, never a reason for the app to fail
            return
        finally:
            if index is not None:
                index.close()
        said = tuple(p.render() for p in problems)
        if said == self._merge_said:  # said already: not again after every change
            return
        self._merge_said = said
        if problems:
            shown = "\n".join(p.render() for p in problems[:5])
            more = "\n" + _("… and {count} more (`kehu check`)").format(count=len(problems) - 5) \
                if len(problems) > 5 else ""
            self.call_from_thread(self.notify, f"{shown}{more}", title=_("A merge is waiting for you"),
                                  severity="warning", timeout=30, markup=False)

    def _checked(self, changed: list[Path], settings: str | None = None, rebuilds: int = 0) -> None:
        if self.rebuilding or rebuilds != self._rebuilds:
            changed = []  # every file against an index being filled: the rebuild reads them all
        reread = settings is not None and self._reread_settings(settings)
        if len(changed) > MANY_FILES:  # an index the look found made anew (every file), a big pull
            self._refill_index(_("{count} files changed outside the app: reading them in the background…").format(
                count=len(changed)))
            changed = []
        if changed:
            self.watcher.apply(changed)
        if changed or reread:
            self.broadcast(StoreChanged(len(changed)))
            self._show_merge_waiting()
        if self.is_running:
            self.set_timer(self.watcher.next_delay, self._watch)

    def _refill_index(self, said: str | None = None) -> None:
        """The app's index was made anew after damage a read on the screen's thread met
        (``kehu_core.index.mending``), or the watcher's look found more files changed than the
        screen reads at once: they are read on the background thread, not on this one (a
        rebuild of 100 000 customers held the screen still for minutes), and the screens fill
        again when it is done; meanwhile they read the index as it is."""
        self._rebuilds += 1
        if not self.rebuilding:
            self.rebuilding = True
            self.index_ready.clear()
            self._start_refill(said or _("the index was damaged: it is being made again from the records…"))

    def _start_refill(self, said: str, severity: Any = "warning") -> None:
        self.notify(said, severity=severity)
        self._refill()
        self.broadcast(StoreChanged(0))  # the screens say so meanwhile

    @work(group="refill", exit_on_error=False)
    async def _refill(self) -> None:
        self.background.invalidate()  # a store of its own, reading the file made anew
        try:
            await self.background.run(refill_index)
        except (KehuError, OSError) as exc:
            self.notify(str(exc), severity="error", timeout=10)
        # Not reached when the app quits meanwhile (the worker cancelled): nothing is started then
        # (the merge notice's look, started here, filled the index on a thread of its own and
        # quitting waited minutes for it); the reports thread waiting is let go by on_unmount.
        self.rebuilding = False
        self.index_ready.set()
        self.broadcast(StoreChanged(0))
        self._show_merge_waiting()  # read from the index filled (it no longer fills one itself)

    def _reread_settings(self, stamp: str) -> bool:
        """kehu.yaml changed underneath (``stamp``: as it is now): its settings read again into
        the app's store, and the screens told (the workers' stores are opened anew with them).
        One that cannot be read is said, once for each version of the file, with its problems;
        the app goes on with the settings it had. Whether they were read."""
        self.watcher.settings_seen = stamp
        try:
            self.store.reread_config()
        except KehuError as exc:
            self.notify(_("kehu.yaml was changed outside the app (a `kehu sync`, an edit) and cannot be read now; "
                          "the settings read before are kept until it is mended:\n{problem}").format(problem=exc),
                        severity="error", timeout=30, markup=False)
            return False
        self.notify(_("kehu.yaml was changed outside the app (a `kehu sync`, an edit): its settings are read again"),
                    timeout=8, markup=False)
        self.sub_title = f"{self.store.config.name} · {self.store.today.isoformat()}"
        return True
