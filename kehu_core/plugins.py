"""Finding, enabling and calling plugins.

Plugins are found once per process through the ``kehu`` entry-point group (built-in plugins
come the same way), then enabled per store from ``kehu.yaml``::

    plugins:
      disabled: [points]        # or  enabled: [tiering, reminders]
      tiering: {window_days: 365}

Hooks are called through pluggy, so hook wrappers work; each implementation is guarded, so one
failing plugin (raising, calling ``sys.exit``, returning the wrong type) is reported by name,
through the ``kehu.plugins`` logger, its writes are undone, and the others go on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import inspect
import logging
import sys
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from traceback import format_exception
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pluggy
from pydantic import BaseModel, ValidationError, create_model

from . import hookspecs
from .config import PluginSettings
from .entrypoints import advertised_entries
from .entrypoints import load as load_entry_point
from .errors import PLUGIN_LOGGER, KehuError, Problem, RecordError
from .handed import WrongResult, error_text, guard_handed
from .i18n import _
from .models import Customer, Reminder

if TYPE_CHECKING:
    from .reminder_engine import HistoryNeeds
    from .store import Store

SettingsT = TypeVar("SettingsT", bound=BaseModel)


# --- what plugins hand back -----------------------------------------------------------------


class ReminderRule(Protocol):
    """A follow-up rule, handed over by the ``reminder_rules`` hook: "greet 2 days after a
    purchase", "visit a key account every 90 days".

    Everything the reminder engine (:mod:`kehu_core.reminder_engine`) reads from a rule is declared
    here. ``name`` and ``due`` are required; ``plugin``, ``outreach``, ``lapse_days``, ``group``
    and ``history_needs`` are optional (the engine reads them with ``getattr`` and the default each one names), so a
    rule may leave them out, or subclass this Protocol to say it is a rule. The engine, not
    the rule, applies what holds for every rule: done and snoozed reminders are hidden, missed
    ones lapse after ``lapse_days``, an outreach rule gives nothing for a customer marked
    ``do_not_contact``, and the day is the store's (``store.today``), never the clock's.
    """

    name: str
    """The rule's id: the first part of its reminders' keys (``RULE:CUSTOMER_ID:ANCHOR``), what
    ``kehu reminders --rule NAME`` selects, and how a failing rule is named. Unique per store."""

    plugin: str
    """Optional: the name of the plugin the rule comes from, under which its failures are
    reported (``kehu plugins``, the TUI's notification). Default: ``name``."""

    outreach: bool
    """Optional: True (the default) if the rule's reminders contact the customer (a greeting, a
    visit), so the engine gives none for a customer marked ``do_not_contact``; False for
    reminders that are not outreach (an overdue bill to chase internally)."""

    lapse_days: int | None
    """Optional: how many days after its due day a missed reminder of the rule still shows;
    after that it lapses (a greeting a year late is worth nothing). ``None``: never lapses (an
    overdue bill). ``plugins: reminders: lapse_days: {NAME: N}`` in kehu.yaml overrides it.
    Default: ``kehu_core.reminder_engine.DEFAULT_LAPSE_DAYS``. The engine asks ``due`` for the
    window starting that many days before the list's first day and drops what is older."""

    group: str
    """Optional: which of Today's groups (``kehu_core.reminder_engine.GROUPS``: complaints, payments,
    visits, occasions, follow_ups, contact) the rule's reminders belong to, for a rule name
    ``kehu_core.reminder_engine.RULE_GROUPS`` does not know. Default: ``other`` (shown last)."""

    history_needs: Callable[[dt.date, dt.date], HistoryNeeds] | None
    """Optional: ``history_needs(start, end)`` returns the
    :class:`~kehu_core.reminder_engine.HistoryNeeds` (the part of a customer's history ``due``
    looks at for that window), so listing many customers reads only that from the index.
    ``due`` must then give the same reminders from any history holding at least those
    interactions. Missing (or None): ``due`` gets each customer's whole history."""

    def due(
        self, store: Store, customer: Customer, history: list[Any], start: dt.date, end: dt.date
    ) -> Iterable[Reminder]:
        """The reminders of ``customer`` falling due from ``start`` to ``end`` (inclusive).

        ``history`` is the customer's interactions (``kehu_core.models`` Purchase, Visit ...),
        oldest first. Each :class:`~kehu_core.models.Reminder` has ``rule=self.name`` and a
        ``key`` ``NAME:CUSTOMER_ID:ANCHOR`` that stays the same while it is the same reminder
        (done and snooze are stored by key; the anchor is what it is about: a purchase id,
        a date). A rule that raises is reported by its plugin's name; the others still run.

        What is due by a day does not depend on how far the window reaches: asked for a
        shorter ``end``, ``due`` gives the same reminders due by that ``end`` (the same keys,
        titles and details), only without those due later. (A reminder due before ``start``,
        an ongoing condition, may be given; the engine decides whether it still shows.) A
        customer's next reminder is looked for over a month first, and over the year only
        if none is due in that month.
        """
        ...


@dataclass
class Column:
    title: str
    value: Callable[[Store, Customer], Any]
    key: str = ""


@dataclass
class Panel:
    title: str
    render: Callable[[Store, Customer], Any]
    shows: tuple[str, ...] = ()
    """Values (``customer_values`` keys) and ledgers the panel already shows: the TUI's
    values card leaves them out, so nothing is on the customer screen twice."""


@dataclass
class ImportedContact:
    """One contact read from a file, before it is merged into the store."""

    source: str  # "file.vcf:12"
    fields: dict[str, Any]
    purchases: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


class Importer(Protocol):
    name: str

    def detect(self, path: Path, head: bytes) -> bool: ...

    def read(self, path: Path, store: Store) -> Iterable[ImportedContact]: ...


class Exporter(Protocol):
    name: str

    def write(self, store: Store, customers: list[Customer], out: Path) -> int: ...


class MessageSender(Protocol):
    channel: str

    def send(self, store: Store, customer: Customer, subject: str, body: str) -> str: ...


@dataclass
class PluginFailure:
    """One failure of a plugin: it raised, called ``sys.exit``, or gave a result of the wrong
    type. ``traceback`` is what ``kehu --debug`` prints."""

    plugin: str
    hook: str
    error: str
    traceback: str = field(default="", repr=False, compare=False)

    def __str__(self) -> str:
        return _("plugin {plugin} failed in {hook}: {error}").format(
            plugin=repr(self.plugin), hook=self.hook, error=self.error)


#: Where plugin failures go: one WARNING record per new failure (``extra``: ``failure``, the
#: :class:`PluginFailure`). The CLI prints them on stderr, the TUI shows them as notifications.
logger = logging.getLogger(PLUGIN_LOGGER)


def log_failure(failure: PluginFailure) -> None:
    logger.warning("%s", failure, extra={"failure": failure})


# --- discovery ------------------------------------------------------------------------------


#: Plugins that could not even be imported, as failures (shown by ``kehu plugins``).
load_failures: list[PluginFailure] = []


def plugin_prints_to_stderr() -> contextlib.AbstractContextManager[object]:
    """What a plugin prints goes to stderr: stdout is the command's (`--json` is JSON only).
    In the main thread only, where a command runs: ``sys.stdout`` is one for the whole process,
    and swapping it from another thread (the TUI's workers asking the plugins for a sort) put it
    back over what the main thread had set meanwhile (a command run in-process lost its output)."""
    if threading.current_thread() is threading.main_thread():
        return contextlib.redirect_stdout(sys.stderr)
    return contextlib.nullcontext()


@cache
def installed_plugins() -> dict[str, Any]:
    """Every plugin module advertised in the ``kehu`` entry-point group, loaded once."""
    found: dict[str, Any] = {}
    for name, value in advertised_entries():
        try:
            # what a module prints as it is imported goes to stderr, as in a hook (PluginHost.call):
            # stdout is the command's, and `customer list --json` must stay JSON only
            with plugin_prints_to_stderr():
                found[name] = load_entry_point(value)
        except (Exception, SystemExit) as exc:  # a broken third-party plugin must not stop kehu,
            # nor end it with its own exit code and no word (`sys.exit()` as its module loads)
            failure = PluginFailure(name, "import", error_text(exc), "".join(format_exception(exc)))
            load_failures.append(failure)
            log_failure(failure)
    return found


# --- what a hook may return -----------------------------------------------------------------


def _kind(value: Any) -> str:
    return type(value).__name__


def _list_of(result: Any, what: str, ok: Callable[[Any], bool]) -> list[Any]:
    if not isinstance(result, list):
        raise WrongResult(_("returned {kind}, expected a list of {what} or None").format(
            kind=_kind(result), what=what))
    for item in result:
        if not ok(item):
            raise WrongResult(_("returned a list holding {kind} {item}, expected {what}").format(
                kind=_kind(item), item=f"{item!r:.60}", what=what))
    return result


def _has(*attrs: str, calls: tuple[str, ...] = ()) -> Callable[[Any], bool]:
    """An object with these string attributes and these methods (a protocol's shape)."""
    def ok(item: Any) -> bool:
        return (all(isinstance(getattr(item, a, None), str) for a in attrs)
                and all(callable(getattr(item, c, None)) for c in calls))
    return ok


def _values_dict(result: Any) -> dict[str, Any]:
    if not isinstance(result, dict) or not all(isinstance(k, str) for k in result):
        raise WrongResult(_("returned {kind}, expected a dict of values by name or None").format(kind=_kind(result)))
    return result


def _fields(result: Any) -> dict[str, tuple[Any, Any]]:
    if not isinstance(result, dict):
        raise WrongResult(_("returned {kind}, expected {spec} or None").format(
            kind=_kind(result), spec="{field name: (type, default)}"))
    for key, spec in result.items():
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            raise WrongResult(_("field name {key} is not a valid field name").format(key=repr(key)))
        if key in Customer.model_fields:
            raise WrongResult(_("field {key} is one of kehu's own customer fields").format(key=repr(key)))
        if not isinstance(spec, tuple) or len(spec) != 2:
            raise WrongResult(_("field {key}: expected (type, default), got {spec}").format(
                key=repr(key), spec=f"{spec!r:.60}"))
    try:
        create_model("PluginFields", **result)  # a type pydantic cannot use
    except Exception as exc:
        raise WrongResult(_("fields that cannot be used: {error}").format(error=exc)) from None
    return result


def _values_many(result: Any) -> dict[str, dict[str, Any] | None]:
    if not isinstance(result, dict):
        raise WrongResult(_("returned {kind}, expected {spec} or None").format(
            kind=_kind(result), spec="{customer id: values or None}"))
    for key, values in result.items():
        if not isinstance(key, str):
            raise WrongResult(_("returned a key {key}, expected customer ids").format(key=f"{key!r:.60}"))
        if values is not None:
            _values_dict(values)
    return result


def _messages(result: Any) -> list[str]:
    return _list_of(result, "messages (str)", lambda m: isinstance(m, str))


def _entry_message(item: Any) -> bool:
    return (isinstance(item, tuple) and len(item) == 2 and type(item[0]) is int and item[0] >= 0
            and isinstance(item[1], str))


def _ignored(result: Any) -> None:
    return None


#: Each hook's documented result (kehu_core/hookspecs.py), checked on every call: a plugin whose
#: result does not fit is reported by name and its result is left out.
RESULT_CHECKS: dict[str, Callable[[Any], Any]] = {
    "customer_fields": _fields,
    "validate_customer": _messages,
    "validate_ledger": lambda r: _list_of(r, "(entry index, message) pairs", _entry_message),
    "customer_values": _values_dict,
    "customer_values_many": _values_many,
    "interaction_saved": _ignored,
    "register_commands": _ignored,
    "tier_names": lambda r: _list_of(r, "tier names (str)", lambda n: isinstance(n, str)),
    "reminder_rules": lambda r: _list_of(r, "reminder rules (name, due())", _has("name", calls=("due",))),
    "tui_columns": lambda r: _list_of(r, "Column", lambda c: isinstance(c, Column)),
    "tui_panels": lambda r: _list_of(r, "Panel", lambda p: isinstance(p, Panel)),
    "importers": lambda r: _list_of(r, "importers (name, detect(), read())", _has("name", calls=("detect", "read"))),
    "exporters": lambda r: _list_of(r, "exporters (name, write())", _has("name", calls=("write",))),
    "message_senders": lambda r: _list_of(r, "senders (channel, send())", _has("channel", calls=("send",))),
}


def check_result(hook: str, result: Any) -> Any:
    """``result`` if it is what ``hook`` may return (None always is), else WrongResult."""
    if result is None:
        return None
    check = RESULT_CHECKS.get(hook)
    return check(result) if check is not None else result


def check_results(hook: str, results: Any) -> list[Any]:
    """What a wrapper of ``hook`` returns: the list of the implementations' results, each of
    them what ``hook`` may return."""
    if not isinstance(results, list):
        raise WrongResult(_("returned {kind}, expected the list of results it wrapped").format(kind=_kind(results)))
    for result in results:
        check_result(hook, result)
    return results


def _started(gen: Any) -> Any:
    """A wrapper's generator, run up to its ``yield``."""
    try:
        next(gen)
    except StopIteration:
        raise WrongResult(_("the wrapper did not yield")) from None
    return gen


def _finished(gen: Any, hook: str, inner: Any) -> Any:
    """A new-style wrapper's result, given the result it wrapped."""
    try:
        gen.send(inner)
    except StopIteration as stop:
        return check_results(hook, stop.value)
    gen.close()
    raise WrongResult(_("the wrapper yielded more than once"))


def _finished_old(gen: Any, outcome: Any) -> None:
    """An old-style wrapper's second half (it may change ``outcome``)."""
    try:
        gen.send(outcome)
    except StopIteration:
        return
    gen.close()
    raise WrongResult(_("the wrapper yielded more than once"))


# --- the host -------------------------------------------------------------------------------


@dataclass
class _Call:
    """One ``PluginHost.call``: the store its writes go to, and (plugin, result) pairs as the
    guarded implementations give them, to name each result pluggy hands back."""

    store: Any
    given: list[tuple[str, Any]] = field(default_factory=list)


class _StandIn(SimpleNamespace):
    """What pluggy registers for a plugin (see ``PluginHost._stand_in``); one of them is
    itself only, so pluggy can leave it out of a call (``subset_hook_caller`` takes a set)."""

    __eq__ = object.__eq__
    __hash__ = object.__hash__


class PluginHost:
    """The plugins enabled for one store, and safe ways to call them.

    Hooks are called through pluggy (``pm.hook.NAME``), so hook wrappers (``wrapper=True`` and
    old-style ``hookwrapper=True``) work. What pluggy registers for a plugin is a stand-in whose
    hook implementations are the plugin's own, each guarded: one that raises, calls
    ``sys.exit`` or returns the wrong type (:data:`RESULT_CHECKS`) is recorded as a
    :class:`PluginFailure` (``failures``, and the ``kehu.plugins`` logger), gives nothing, and
    what it wrote through the store meanwhile is undone (``store.undo_on_error``); pluggy then
    goes on with the other plugins. A wrapper that fails leaves the result it wrapped as it was.
    """

    def __init__(self, settings: PluginSettings, extra: dict[str, Any] | None = None, *,
                 discover: bool = True, config_path: Path | None = None):
        """``discover``: register the installed plugins kehu.yaml enables (else only ``extra``);
        ``config_path``: the kehu.yaml that bad plugin settings are reported against."""
        self.settings = settings
        self.config_path = config_path
        self.extra = dict(extra or {})  # kept: another opening of the store (a thread's) gets them too
        self._settings_cache: dict[tuple[str, type], Any] = {}
        self.pm = pluggy.PluginManager("kehu")
        self.pm.add_hookspecs(hookspecs)
        self.failures: list[PluginFailure] = list(load_failures)
        self.disabled: list[str] = []
        self._reported: set[tuple[str, str, str]] = set()
        self._plugins: dict[str, Any] = {}  # name -> the plugin object itself (not its stand-in)
        self._calls: list[_Call] = []
        # (plugin, hook) pairs running right now: a plugin whose hook (indirectly) calls the
        # same hook again, e.g. a reminder rule asking for a customer's values, is skipped
        # on the inner call instead of recursing forever.
        self._running: set[tuple[str, str]] = set()
        # while values_many runs: plugin -> customer id -> its customer_values result, so a
        # batch plugin asking for the others' values (a reminder rule wanting the tier) reuses them
        self._memo: dict[str, dict[str, Any]] | None = None
        found = installed_plugins() if discover else {}
        for name, module in {**found, **(extra or {})}.items():
            if settings.is_enabled(name):
                self.register(module, name)
            else:
                self.disabled.append(name)

    # --- registering ----------------------------------------------------------------------

    def register(self, plugin: Any, name: str) -> bool:
        """Register a plugin object by hand (tests, scripts); False if pluggy refused it.

        A plugin whose hook names or arguments do not match the hookspecs (or a wrapper that
        is no generator) is reported as a failure and left out, instead of stopping kehu.
        """
        try:
            self.pm.register(self._stand_in(plugin, name), name=name)
            self.pm.check_pending()
        except (pluggy.PluginValidationError, ValueError) as exc:
            if self.pm.get_plugin(name) is not None:
                self.pm.unregister(name=name)
            self._fail(PluginFailure(name, "register", str(exc)))
            return False
        self._plugins[name] = plugin
        self.__dict__.pop("customer_model", None)
        return True

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

    def names(self) -> list[str]:
        return sorted(n for n, _plugin in self.pm.list_name_plugin())

    def hooks_of(self, name: str) -> list[str]:
        plugin = self.pm.get_plugin(name)
        return sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])

    def describe(self) -> list[dict[str, Any]]:
        """What ``kehu plugins --json`` prints: each loaded plugin, its hooks and failures."""
        out = []
        for name in self.names():
            plugin = self._plugins.get(name, self.pm.get_plugin(name))
            doc = (getattr(plugin, "__doc__", None) or "").strip().splitlines()
            out.append({
                "name": name,
                "hooks": self.hooks_of(name),
                "module": getattr(plugin, "__name__", type(plugin).__name__),
                "description": doc[0] if doc else "",
                "failures": [f.error for f in self.failures if f.plugin == name],
            })
        return out

    # --- failures -------------------------------------------------------------------------

    def report(self, plugin: str, where: str, exc: BaseException) -> None:
        """Record a failure of something a plugin handed over (a reminder rule, an importer)."""
        self._fail(PluginFailure(plugin, where, error_text(exc), "".join(format_exception(exc))))

    def _fail(self, failure: PluginFailure) -> None:
        self.failures.append(failure)
        key = (failure.plugin, failure.hook, failure.error)
        if key not in self._reported:  # once, not once per customer of a list
            self._reported.add(key)
            log_failure(failure)

    # --- guarded implementations ----------------------------------------------------------

    def _store_of(self, kwargs: dict[str, Any]) -> Any:
        if "store" in kwargs:
            return kwargs["store"]
        return self._calls[-1].store if self._calls else None

    def _safely(self, name: str, hook: str, kwargs: dict[str, Any], run: Callable[[], Any]) -> tuple[bool, Any]:
        """``run()`` with its result checked; (False, None) if it failed, its writes undone."""
        undo = getattr(self._store_of(kwargs), "undo_on_error", None)
        try:
            with undo() if undo is not None else contextlib.nullcontext():
                return True, guard_handed(self, name, hook, check_result(hook, run()))
        except (Exception, SystemExit) as exc:  # KeyboardInterrupt still stops kehu
            self.report(name, hook, exc)
            return False, None

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
        try:
            ok, result = self._safely(name, hook, call, lambda: function(**call))
        finally:
            self._running.difference_update(marks)
        if memoized:
            memo[customer.id] = result  # type: ignore[index]
        elif hook == "customer_values_many" and memo is not None and result is not None:
            for c in call["customers"]:
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
                ok, gen = self._safely(name, "wrapper of " + hook, call, lambda: _started(function(**call)))
            finally:
                self._running.discard((name, hook))
            inner = yield
            if not ok:
                return inner
            self._running.add((name, hook))
            try:
                ok, result = self._safely(name, "wrapper of " + hook, call, lambda: _finished(gen, hook, inner))
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
                ok, gen = self._safely(name, "wrapper of " + hook, call, lambda: _started(function(**call)))
            finally:
                self._running.discard((name, hook))
            outcome = yield
            if not ok:
                return
            inner = result = outcome.get_result()  # the guarded implementations never raise
            self._running.add((name, hook))
            try:
                ok, _result = self._safely(name, "wrapper of " + hook, call, lambda: _finished_old(gen, outcome))
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

    # --- calling --------------------------------------------------------------------------

    def call(self, hook: str, *, leave_out: Iterable[str] = (), **kwargs: Any) -> list[tuple[str, Any]]:
        """Call ``hook`` through pluggy (wrappers included): every implementation, the plugin
        registered last first; (plugin name, result) for each result that is not None. A
        failing implementation is recorded and gives nothing; the others go on.

        ``leave_out``: plugins not asked by this call; the plugins asked may still ask them
        (a reminder rule wants the tier while only the reminders' values are computed)."""
        frame = _Call(kwargs.get("store"))
        caller = getattr(self.pm.hook, hook)
        removed = [p for p in (self.pm.get_plugin(name) for name in leave_out) if p is not None]
        if removed:
            caller = self.pm.subset_hook_caller(hook, remove_plugins=removed)
        self._calls.append(frame)
        try:
            # what a hook prints goes to stderr: stdout is the command's (`--json` is JSON only,
            # and a plugin's print() before it made `customer list --json` unreadable, exit 0)
            with plugin_prints_to_stderr():
                results = caller(**kwargs)
        finally:
            self._calls.pop()
        named = []
        given = list(frame.given)
        for result in results:
            for i, (name, mine) in enumerate(given):
                if mine is result:
                    named.append((name, result))
                    del given[i]
                    break
            else:
                named.append(("?", result))
        return named

    def collect(self, hook: str, **kwargs: Any) -> list[Any]:
        """Flatten list results of ``hook`` from every plugin."""
        out: list[Any] = []
        for _name, result in self.call(hook, **kwargs):
            out.extend(result)
        return out

    @cached_property
    def customer_model(self) -> type[Customer]:
        fields: dict[str, Any] = {}
        for _name, declared in self.call("customer_fields"):
            _merge_first_wins(fields, declared)
        if not fields:
            return Customer
        return create_model("StoreCustomer", __base__=Customer, **fields)

    def values(
        self, store: Store, customer: Customer, *, skip: Iterable[str] = ()
    ) -> dict[str, Any]:
        """Every plugin's ``customer_values`` merged; plugins named in ``skip`` are not asked
        (by this call: a plugin asked may ask them, as it would without ``skip``)."""
        skip = tuple(skip)
        kept = self._remembered_values(customer, skip)
        if kept is not None:
            return kept
        merged: dict[str, Any] = {}
        for _name, result in self.call("customer_values", leave_out=skip, store=store, customer=customer):
            _merge_first_wins(merged, result)
        return merged

    def _remembered_values(self, customer: Customer, skip: tuple[str, ...]) -> dict[str, Any] | None:
        """:meth:`values` from what :meth:`remembering` keeps, when every plugin asked has its
        answer for ``customer`` kept there and no wrapper would see the call: the same merge
        pluggy's call would give (each implementation, last registered first, answers from
        its memo; one running already answers None), without a call through pluggy for each
        customer (a book of 10 000 customers asks 40 000 times, ~0.8 s of CPU). None: not all
        kept, the caller calls the plugins."""
        memo = self._memo
        if memo is None:
            return None
        merged: dict[str, Any] = {}
        for impl in reversed(self.pm.hook.customer_values.get_hookimpls()):
            name = impl.plugin_name
            if impl.wrapper or impl.hookwrapper:
                return None
            if name in skip or (name, "customer_values") in self._running:
                continue
            kept = memo.get(name)
            if kept is None or customer.id not in kept:
                return None
            if kept[customer.id] is not None:
                _merge_first_wins(merged, kept[customer.id])
        return merged

    def values_many(
        self, store: Store, customers: Sequence[Customer], *, skip: Iterable[str] = ()
    ) -> list[dict[str, Any]]:
        """:meth:`values` of each customer, in order, with the same answers; a plugin that
        implements ``customer_values_many`` is asked once for all of them (the others, and
        wrappers, per customer; every plugin's answer for a customer is computed once).
        Plugins named in ``skip`` are not asked by this call, but the plugins asked may ask
        them: ``kehu_core.services.derived_values`` computes one plugin's values at a time,
        and the reminders' key-visit rule still gets the tier (it got none, and the next
        reminder kept for lists missed every key-account visit)."""
        skip = tuple(skip)
        outer = self._memo is None
        if outer:
            self._memo = {}
        try:
            if customers:
                self.call("customer_values_many", leave_out=skip, store=store, customers=list(customers))
            return [self.values(store, c, skip=skip) for c in customers]
        finally:
            if outer:
                self._memo = None

    @contextlib.contextmanager
    def remembering(self, known: Mapping[str, Mapping[str, Any]] | None = None) -> Iterator[None]:
        """Inside the block each plugin's ``customer_values`` of a customer is computed once,
        as within one :meth:`values_many`: for work over records that do not change meanwhile
        that asks for the same customers' values several times (the derived values computed
        plugin by plugin, each plugin asking for the others'). ``known``: answers already
        computed (plugin → customer id → values), taken instead of asking the plugin."""
        if self._memo is not None:
            yield
            return
        self._memo = {name: dict(values) for name, values in (known or {}).items()}
        try:
            yield
        finally:
            self._memo = None

    def value_plugins(self) -> list[str]:
        """The plugins that compute values per customer, the one whose value wins a clash of
        keys first (pluggy calls the last registered first, and the first answer wins)."""
        names: list[str] = []
        for hook in (self.pm.hook.customer_values, self.pm.hook.customer_values_many):
            for impl in reversed(hook.get_hookimpls()):
                if impl.plugin_name not in names:
                    names.append(impl.plugin_name)
        return names

    def values_scope(self, name: str) -> str:
        """``"customer"`` when the plugin declares (``values_scope = "customer"``) that its
        values for a customer depend only on that customer's own records, the day and the
        settings: they are then recomputed only for customers whose records changed. Else
        ``"store"``: recomputed after any change of the store (a rank among all customers)."""
        return "customer" if getattr(self._plugins.get(name), "values_scope", None) == "customer" else "store"

    def interaction_saved(self, store: Store, customer: Customer, interaction: Any) -> None:
        self.call("interaction_saved", store=store, customer=customer, interaction=interaction)

    def settings_for(self, name: str) -> dict[str, Any]:
        return self.settings.settings_for(name)

    def settings_model(self, name: str, model: type[SettingsT]) -> SettingsT:
        """``plugins: <name>:`` validated by ``model``, once per host (see :func:`plugin_settings`)."""
        key = (name, model)
        if key not in self._settings_cache:
            try:
                self._settings_cache[key] = model.model_validate(self.settings_for(name))
            except ValidationError as exc:
                raise RecordError(self._settings_problems(name, exc)) from None
        return self._settings_cache[key]

    def _settings_problems(self, name: str, exc: ValidationError) -> list[Problem]:
        from .config import CONFIG_FILE
        from .problems import validation_problems
        from .yamlio import lines_doc

        path = self.config_path or Path(CONFIG_FILE)
        doc = lines_doc(path) if path.is_file() else None
        return validation_problems(exc, path, doc, prefix=["plugins", name])


def _merge_first_wins(merged: dict[str, Any], result: dict[str, Any]) -> None:
    """Merge results that come last-registered plugin first: the first one seen of a key is
    the one the plugin registered last gave, which wins on a clash (as the hookspecs say)."""
    for key, value in result.items():
        merged.setdefault(key, value)


def plugin_settings(store: Store, name: str, model: type[SettingsT]) -> SettingsT:
    """A plugin's ``plugins: <name>:`` settings from kehu.yaml, validated by ``model``.

    Bad settings raise ``RecordError`` naming kehu.yaml, the line and the field, e.g.
    ``kehu.yaml:9: plugins.points.expiry_days: Input should be a valid integer``.
    The result is cached per store, so hooks called once per customer pay for it once.
    """
    return store.plugins.settings_model(name, model)


def require_enabled(store: Store, name: str) -> None:
    """For a plugin's own CLI commands: refuse clearly when kehu.yaml disabled the plugin."""
    if name not in store.plugins.names():
        raise KehuError(
            _("the {name} plugin is not enabled for {root} (see `plugins:` in kehu.yaml)").format(
                name=repr(name), root=store.root)
        )
