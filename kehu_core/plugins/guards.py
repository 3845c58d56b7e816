"""How the plugin host guards each plugin's hook implementations: one that raises, calls
``sys.exit`` or returns the wrong type is recorded as a failure, gives nothing, and what it wrote
through the store meanwhile is undone (see :class:`~kehu_core.plugins.host.PluginHost`)."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import inspect
import os
import select
import signal
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from decimal import localcontext
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pluggy

from .. import plugin_process as process
from ..handed import guard_handed
from ..own_copies import own_copy
from ..plugin_code import TooSlow, disk_full, kehus_own, never_awaited, stops_kehu
from ..plugin_code import as_given as _as_given
from .results import check_result
from .wrapper_results import check_results, finished, finished_old, started

#: the hooks that answer a question and write nothing (their hookspecs): called by `kehu check`,
#: lists, shows and reports, where a write is a plugin's bug. ``interaction_saved`` writes (points
#: after a sale); ``register_commands`` runs once, before a store is open.
READING_HOOKS = frozenset({
    "validate_customer", "kept_customer_fields", "validate_ledger", "validate_ledger_line", "customer_values",
    "customer_values_many", "customer_value_figures", "tier_names",
    "settings_model", "customer_fields", "reminder_rules", "tui_columns", "tui_panels", "importers",
    "exporters", "message_senders",
})


#: the hooks given a record to act on or to check: each implementation gets its own copy, so one
#: that changes what it was given changes nothing another plugin sees, nor what kehu goes on with
#: (a purchase's amount set to 1 000 000 in ``interaction_saved`` made the points plugin award a
#: million points for a ¥100 sale, `purchase add` print "¥1000000 recorded", and check said ok).
#: Those of them that only read (:data:`READING_HOOKS`) give kehu's own plugins what kehu has,
#: as :data:`THEIR_COPY_HOOKS` do: they change nothing they are given, and a copy of every
#: profile for each of their rules was a quarter of a `kehu check` of a large store
OWN_COPY_HOOKS = frozenset({"interaction_saved", "validate_customer", "kept_customer_fields", "validate_ledger",
                            "validate_ledger_line"})

#: the hooks given customers to compute values of: a plugin not kehu's gets its own copies (kehu's
#: own change nothing they are given, and a copy of every customer of a list for each of them
#: would cost seconds). One that set the customer's birthday to None as it went hid the birthday
#: from the built-in reminders plugin asked after it (the next reminder "keep in touch")
THEIR_COPY_HOOKS = frozenset({"customer_values", "customer_values_many", "customer_value_figures"})


def given_to(handed: Any, value: Any) -> Any:
    """``value`` as handed to an object a plugin handed over (a reminder rule): its own copy
    (:func:`kehu_core.own_copies.own_copy`), unless the object is one of kehu's built-in plugins', which change
    nothing they are given (a copy of every customer's history for each of their rules would
    cost seconds a `kehu reminders` of a large store). A third party's rule that cleared the
    history it was given, or changed the customer, hid the built-in rules' reminders after it
    (an overdue bill, a birthday) and renamed the customer in the rest."""
    return giving_to(handed)(value)


def giving_to(handed: Any) -> Callable[[Any], Any]:
    """What :func:`given_to` does to each value handed to ``handed``, decided once: the
    reminder engine hands a rule every customer of a list (asked 100 000 times for a book of
    10 000 customers, the same answer for each rule)."""
    from ..entrypoints import BUILT_IN_PACKAGE

    if type(handed).__module__.split(".", 1)[0] == BUILT_IN_PACKAGE:
        return _as_it_is
    return own_copy


def _as_it_is(value: Any) -> Any:
    return value


@dataclass
class HookCall:
    """One ``PluginHost.call``: the store its writes go to, and (plugin, result) pairs as the
    guarded implementations give them, to name each result pluggy hands back."""

    store: Any
    given: list[tuple[str, Any]] = field(default_factory=list)


def _built_in(plugin: Any) -> bool:
    """Whether ``plugin`` (a module or an object) is one of kehu's built-in plugins."""
    return plugin is not None and kehus_own(plugin)


#: whether the calling thread (not the main one) runs a hook watched by :func:`_watched`
_watching = threading.local()


@contextlib.contextmanager
def _watched(seconds: float) -> Iterator[None]:
    """Within this, in a thread not the main one (a signal reaches only that), :class:`TooSlow`
    is raised in the calling thread's code once it has run ``seconds``, then every second (a
    plugin catching BaseException in a loop is stopped again), by a watching thread. Python
    raises it between two steps of Python code: a hook blocked in one call into C (a socket read
    without a timeout) is stopped when that call returns. A hook a hook called: its caller's time."""
    if getattr(_watching, "on", False):
        yield
        return
    target = threading.get_ident()
    # the end of the hook is said down a pipe, waited for with select's relative timeout: an
    # Event's timed wait is a wait until a moment of the clock, which libfaketime moves (the
    # suite is run at another date too), and it then never ended: no hook was ever stopped
    done_read, done_write = os.pipe()
    stop = type("TooSlow", (TooSlow,), {"__init__": lambda self: TooSlow.__init__(self, seconds)})

    def watch() -> None:
        wait = seconds
        while not select.select([done_read], [], [], wait)[0]:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(stop))
            wait = 1.0

    watcher = threading.Thread(target=watch, name="kehu: a plugin's hook watched", daemon=True)
    _watching.on = True
    watcher.start()
    try:
        yield
    finally:
        _watching.on = False
        os.write(done_write, b".")
        while True:
            try:
                watcher.join()
                # one raised just as the hook returned would be raised in kehu's code next: taken back
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), None)
                break
            except TooSlow:
                continue
        os.close(done_read)
        os.close(done_write)


class _StandIn(SimpleNamespace):
    """What pluggy registers for a plugin (see ``PluginHost._stand_in``); one of them is
    itself only, so pluggy can leave it out of a call (``subset_hook_caller`` takes a set)."""

    __eq__ = object.__eq__
    __hash__ = object.__hash__


class GuardedHooks:
    """The part of :class:`~kehu_core.plugins.host.PluginHost` that registers a stand-in for each
    plugin and runs its hook implementations guarded; the host sets these attributes."""

    pm: pluggy.PluginManager
    _calls: list[HookCall]
    _running: set[tuple[str, str]]
    _memo: dict[str, dict[str, Any]] | None
    _plugins: dict[str, Any]
    #: seconds each hook of an installed plugin may run (``PluginHost.bounded``), and the plugins
    #: stopped for running past them, not asked again while the bound holds
    _bound: float | None = None
    _too_slow: set[str]
    #: name -> (the plugin registered under it, whether it is one of kehu's built-in plugins):
    #: asked for each implementation a hook runs (:meth:`_kehus`)
    _own: dict[str, tuple[Any, bool]]

    if TYPE_CHECKING:  # the host's
        def hooks_of(self, name: str) -> list[str]: ...

        def report(self, plugin: str, where: str, exc: BaseException) -> None: ...

    def _stand_in(self, plugin: Any, name: str) -> _StandIn:
        """What pluggy registers for ``plugin``: its hook implementations, guarded, with the
        same names, signatures and ``@hookimpl`` options (pluggy's own parsing finds them)."""
        stand_in = _StandIn(__doc__=getattr(plugin, "__doc__", None))
        for attr in dir(plugin):
            opts = self.pm.parse_hookimpl_opts(plugin, attr)
            if opts is None:
                continue
            function = getattr(plugin, attr)
            hook = opts.get("specname") or attr
            if opts.get("wrapper") or opts.get("hookwrapper"):
                if not inspect.isgeneratorfunction(function):
                    guarded = function  # pluggy refuses it, with its own message
                elif opts.get("hookwrapper"):
                    guarded = self._guard_old_wrapper(name, hook, function)
                else:
                    guarded = self._guard_wrapper(name, hook, function)
            else:
                guarded = self._guard(name, hook, function)
            if guarded is not function:
                guarded.kehu_impl = dict(opts)  # type: ignore[attr-defined]  # the @hookimpl mark
            setattr(stand_in, attr, guarded)
        return stand_in

    def _kehus(self, name: str) -> bool:
        """Whether the plugin registered as ``name`` is one of kehu's built-in plugins: kept for
        the plugin object it was asked of (a hook of each customer of `kehu check` asks it)."""
        plugin = self._plugins.get(name)
        kept = self._own.get(name)
        if kept is None or kept[0] is not plugin:
            kept = self._own[name] = (plugin, _built_in(plugin))
        return kept[1]

    def _store_of(self, kwargs: dict[str, Any]) -> Any:
        if "store" in kwargs:
            return kwargs["store"]
        return self._calls[-1].store if self._calls else None

    def _safely(self, name: str, hook: str, kwargs: dict[str, Any], run: Callable[[], Any],
                given: dict[str, Any] | None = None) -> tuple[bool, Any]:
        """``run()`` with its result checked (against ``given``, the hook's arguments as kehu
        passed them); (False, None) if it failed, its writes undone. A hook that only reads
        (:data:`READING_HOOKS`) may not write (``Store.only_reading``)."""
        store = self._store_of(kwargs)
        undo = getattr(store, "undo_on_error", None)
        reading = getattr(store, "only_reading", None) if hook.removeprefix("wrapper of ") in READING_HOOKS else None
        if self._bound is not None and name in self._too_slow:
            return False, None  # stopped once in this run (and reported): it would be again
        # a timer it leaves running stopped as its own code returns, not the next plugin's (main
        # thread: elsewhere no handler can be set; kehu's own plugins set none)
        kept = process.timers_kept() if threading.current_thread() is threading.main_thread() \
            and not self._kehus(name) else contextlib.nullcontext()
        try:
            # Decimal's context a copy for each plugin (its prec = 3 gave the points plugin's 12 300 points)
            with kept, undo() if undo is not None else contextlib.nullcontext(), _as_given(store), \
                    reading(name, hook) if reading is not None else contextlib.nullcontext(), \
                    self._timed(name) if self._bound is not None else contextlib.nullcontext(), localcontext():
                checked = check_result(hook, never_awaited(run()), given or kwargs,
                                       lambda wrong: self.report(name, hook, wrong))
                return True, guard_handed(self, name, hook, checked)
        except BaseException as exc:  # KeyboardInterrupt still stops kehu
            if stops_kehu(exc) or _index_mended(exc) or disk_full(exc):
                raise
            if isinstance(exc, TooSlow):
                self._too_slow.add(name)
            self.report(name, hook, exc)
            return False, None

    @contextlib.contextmanager
    def _timed(self, name: str) -> Iterator[None]:
        """Within the bound a command set (``PluginHost.bounded``), the hook of an installed
        plugin ``name`` is stopped by :class:`TooSlow` raised in its code when it runs past it
        (a timer's signal: in the main thread, where commands run; a hook a hook called is
        within its caller's time; in another thread, `kehu serve`'s answering a request, a
        watching thread raises it there, see :func:`_watched`). kehu's own plugins are not
        timed: their cost is measured by kehu's benches, and a whole store's values may be asked
        of them at once."""
        seconds = self._bound
        if seconds is None or self._kehus(name):
            yield
            return
        if threading.current_thread() is not threading.main_thread():
            with _watched(seconds):
                yield
            return
        if signal.getitimer(signal.ITIMER_REAL)[0] > 0:
            yield
            return
        armed = True

        def stop(signum: int, frame: Any) -> None:
            if armed:  # (a signal already on its way when the hook returned does nothing)
                raise TooSlow(seconds)

        before = signal.signal(signal.SIGALRM, stop)
        # once, then every second: a plugin catching BaseException in a loop is stopped again
        signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
        try:
            yield
        finally:
            armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, before)

    def _guard(self, name: str, hook: str, function: Callable[..., Any]) -> Callable[..., Any]:
        params = list(inspect.signature(function).parameters)

        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            call = {**dict(zip(params, args, strict=False)), **kwargs}
            return self._run_impl(name, hook, function, call)

        return guarded

    def _run_impl(self, name: str, hook: str, function: Callable[..., Any], call: dict[str, Any]) -> Any:
        if (name, hook) in self._running:
            return None
        memo = self._memo.setdefault(name, {}) if self._memo is not None else None
        customer = call.get("customer")
        memoized = hook == "customer_values" and memo is not None and customer is not None
        if memoized and customer.id in memo:  # type: ignore[operator]
            return memo[customer.id]  # type: ignore[index]
        marks = {(name, hook)}
        if hook == "customer_values_many":
            if memo is None or "customer_values" not in self.hooks_of(name):
                return None
            todo = [c for c in call.get("customers", []) if c.id not in memo]
            if not todo:
                return None
            call = {**call, "customers": todo}
            marks.add((name, "customer_values"))  # its values are asked for separately
        marks -= self._running
        self._running.update(marks)
        given = call  # what the result is checked against: the plugin may change its own copy
        if hook in OWN_COPY_HOOKS and hook not in READING_HOOKS or (
                hook in OWN_COPY_HOOKS or hook in THEIR_COPY_HOOKS) and not self._kehus(name):
            call = {key: value if key == "store" else own_copy(value) for key, value in call.items()}
        try:
            ok, result = self._safely(name, hook, call, lambda: function(**call), given)
        finally:
            self._running.difference_update(marks)
        if memoized:
            memo[customer.id] = result  # type: ignore[index]
        elif hook == "customer_values_many" and memo is not None and result is not None:
            for c in given["customers"]:  # (kehu's, not the plugin's copies: it may change their ids)
                memo.setdefault(c.id, result.get(c.id))
        if result is not None and self._calls:
            self._calls[-1].given.append((name, result))
        return result

    def _guard_wrapper(self, name: str, hook: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """A new-style wrapper (``wrapper=True``): a failing one leaves the result as it was."""
        params = list(inspect.signature(function).parameters)

        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Generator[None, Any, Any]:
            call = {**dict(zip(params, args, strict=False)), **kwargs}
            if (name, hook) in self._running:
                return (yield)
            self._running.add((name, hook))
            try:
                ok, gen = self._safely(name, "wrapper of " + hook, call, lambda: started(function(**call)))
            finally:
                self._running.discard((name, hook))
            inner = yield
            if not ok:
                return inner
            self._running.add((name, hook))
            try:
                ok, result = self._safely(name, "wrapper of " + hook, call, lambda: finished(gen, hook, inner))
            finally:
                self._running.discard((name, hook))
            if not ok:
                return inner
            self._name_new_results(name, inner, result)
            return result

        return guarded

    def _guard_old_wrapper(self, name: str, hook: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """An old-style wrapper (``hookwrapper=True``, ``outcome = yield``)."""
        params = list(inspect.signature(function).parameters)

        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Generator[None, Any, None]:
            call = {**dict(zip(params, args, strict=False)), **kwargs}
            if (name, hook) in self._running:
                yield
                return
            self._running.add((name, hook))
            try:
                ok, gen = self._safely(name, "wrapper of " + hook, call, lambda: started(function(**call)))
            finally:
                self._running.discard((name, hook))
            outcome = yield
            if not ok:
                return
            inner = result = outcome.get_result()  # the guarded implementations never raise
            self._running.add((name, hook))
            try:
                ok, _result = self._safely(name, "wrapper of " + hook, call, lambda: finished_old(gen, outcome))
                if ok:
                    ok, result = self._safely(name, "wrapper of " + hook, call,
                                              lambda: check_results(hook, outcome.get_result()))
            finally:
                self._running.discard((name, hook))
            if not ok:
                outcome.force_result(inner)
            else:
                self._name_new_results(name, inner, result)

        return guarded

    def _name_new_results(self, name: str, inner: Any, result: Any) -> None:
        """Results a wrapper added to the list are that wrapper's plugin's."""
        if isinstance(result, list) and isinstance(inner, list) and self._calls:
            for item in result:
                if not any(item is old for old in inner):
                    self._calls[-1].given.append((name, item))


def _index_mended(exc: BaseException) -> bool:
    """Whether ``exc`` is the index saying it met damage inside a read it could not ask again and
    made the file anew (``IndexDamaged``, from a plugin's read of the index in a snapshot of its
    own): kehu's word for its caller to ask again, not the plugin's failure (the tiering plugin
    was said to have failed, and the TUI's values card said "not computed")."""
    from ..errors import KehuError

    if not isinstance(exc, KehuError):
        return False
    from ..index.mending import IndexDamaged

    return isinstance(exc, IndexDamaged)
