"""Finding, enabling and calling plugins.

Plugins are found once per process through the ``kehu`` entry-point group (built-in plugins
come the same way), then enabled per store from ``kehu.yaml``::

    plugins:
      disabled: [points]        # or  enabled: [tiering, reminders]
      tiering: {window_days: 365}

Each implementation is called on its own, so one failing plugin is reported by name and the
others go on.
"""

from __future__ import annotations

import datetime as dt
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pluggy
from pydantic import BaseModel, ValidationError, create_model

from . import hookspecs
from .config import PluginSettings
from .errors import KehuError, Problem, RecordError
from .models import Customer, Reminder

if TYPE_CHECKING:
    from .reminders import HistoryNeeds
    from .store import Store

ENTRY_POINT_GROUP = "kehu"
SettingsT = TypeVar("SettingsT", bound=BaseModel)


# --- what plugins hand back -----------------------------------------------------------------


class ReminderRule(Protocol):
    """A follow-up rule, handed over by the ``reminder_rules`` hook: "greet 2 days after a
    purchase", "visit a key account every 90 days".

    Everything the reminder engine (:mod:`kehu_core.reminders`) reads from a rule is declared
    here. ``name`` and ``due`` are required; ``plugin``, ``outreach`` and ``history_needs`` are
    optional (the engine reads them with ``getattr`` and the default each one names), so a
    rule may leave them out, or subclass this Protocol to say it is a rule. The engine, not
    the rule, applies what holds for every rule: done and snoozed reminders are hidden, an
    outreach rule gives nothing for a customer marked ``do_not_contact``, and the day is the
    store's (``store.today``), never the clock's.
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

    history_needs: Callable[[dt.date, dt.date], HistoryNeeds] | None
    """Optional: ``history_needs(start, end)`` returns the
    :class:`~kehu_core.reminders.HistoryNeeds` (the part of a customer's history ``due``
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
    plugin: str
    hook: str
    error: str

    def __str__(self) -> str:
        return f"plugin {self.plugin!r} failed in {self.hook}: {self.error}"


# --- discovery ------------------------------------------------------------------------------


#: Plugins that could not even be imported, as failures (shown by ``kehu plugins``).
load_failures: list[PluginFailure] = []


@cache
def installed_plugins() -> dict[str, Any]:
    """Every plugin module advertised in the ``kehu`` entry-point group, loaded once."""
    found: dict[str, Any] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found[ep.name] = ep.load()
        except Exception as exc:  # a broken third-party plugin must not stop kehu
            failure = PluginFailure(ep.name, "import", f"{type(exc).__name__}: {exc}")
            load_failures.append(failure)
            print(f"kehu: {failure}", file=sys.stderr)
    return found


class PluginHost:
    """The plugins enabled for one store, and safe ways to call them."""

    def __init__(self, settings: PluginSettings, extra: dict[str, Any] | None = None, *,
                 discover: bool = True, config_path: Path | None = None):
        """``discover``: register the installed plugins kehu.yaml enables (else only ``extra``);
        ``config_path``: the kehu.yaml that bad plugin settings are reported against."""
        self.settings = settings
        self.config_path = config_path
        self._settings_cache: dict[tuple[str, type], Any] = {}
        self.pm = pluggy.PluginManager("kehu")
        self.pm.add_hookspecs(hookspecs)
        self.failures: list[PluginFailure] = list(load_failures)
        self.disabled: list[str] = []
        self._reported: set[tuple[str, str, str]] = set()
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

    def register(self, plugin: Any, name: str) -> bool:
        """Register a plugin object by hand (tests, scripts); False if pluggy refused it.

        A plugin whose hook names or arguments do not match the hookspecs is reported as a
        failure and left out, instead of stopping kehu.
        """
        try:
            self.pm.register(plugin, name=name)
            self.pm.check_pending()
        except (pluggy.PluginValidationError, ValueError) as exc:
            if self.pm.get_plugin(name) is not None:
                self.pm.unregister(name=name)
            self._fail(PluginFailure(name, "register", str(exc)))
            return False
        self.__dict__.pop("customer_model", None)
        return True

    def names(self) -> list[str]:
        return sorted(n for n, _ in self.pm.list_name_plugin())

    def hooks_of(self, name: str) -> list[str]:
        plugin = self.pm.get_plugin(name)
        return sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])

    def describe(self) -> list[dict[str, Any]]:
        """What ``kehu plugins --json`` prints: each loaded plugin, its hooks and failures."""
        out = []
        for name in self.names():
            plugin = self.pm.get_plugin(name)
            doc = (getattr(plugin, "__doc__", None) or "").strip().splitlines()
            out.append({
                "name": name,
                "hooks": self.hooks_of(name),
                "module": getattr(plugin, "__name__", type(plugin).__name__),
                "description": doc[0] if doc else "",
                "failures": [f.error for f in self.failures if f.plugin == name],
            })
        return out

    def report(self, plugin: str, where: str, exc: Exception) -> None:
        """Record a failure of something a plugin handed over (a reminder rule, an importer)."""
        self._fail(PluginFailure(plugin, where, f"{type(exc).__name__}: {exc}"))

    def _fail(self, failure: PluginFailure) -> None:
        self.failures.append(failure)
        key = (failure.plugin, failure.hook, failure.error)
        if key not in self._reported:  # once, not once per customer of a list
            self._reported.add(key)
            print(f"kehu: {failure}", file=sys.stderr)
            if "--debug" in sys.argv:
                traceback.print_exc()

    def call(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every implementation of ``hook``, the plugin registered last first (pluggy's
        order); a raising one is recorded, not propagated."""
        results = []
        caller = getattr(self.pm.hook, hook)
        for impl in reversed(caller.get_hookimpls()):  # get_hookimpls() is registration order
            if (impl.plugin_name, hook) in self._running:
                continue
            result = self._call_impl(impl, hook, kwargs)
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

    def _call_impl(self, impl: Any, hook: str, kwargs: dict[str, Any], guard: Iterable[str] = ()) -> Any:
        """One plugin's implementation of ``hook``, marked running (with the hooks in ``guard``)
        meanwhile; a raising one is recorded and gives None."""
        running = {(impl.plugin_name, h) for h in (hook, *guard)} - self._running
        args = {k: kwargs[k] for k in impl.argnames if k in kwargs}
        self._running.update(running)
        try:
            return impl.function(**args)
        except Exception as exc:
            self._fail(PluginFailure(impl.plugin_name, hook, f"{type(exc).__name__}: {exc}"))
            return None
        finally:
            self._running.difference_update(running)

    def collect(self, hook: str, **kwargs: Any) -> list[Any]:
        """Flatten list results of ``hook`` from every plugin."""
        out: list[Any] = []
        for _, result in self.call(hook, **kwargs):
            out.extend(result)
        return out

    @cached_property
    def customer_model(self) -> type[Customer]:
        fields: dict[str, Any] = {}
        for _, declared in self.call("customer_fields"):
            _merge_first_wins(fields, declared)
        if not fields:
            return Customer
        return create_model("StoreCustomer", __base__=Customer, **fields)

    def values(
        self, store: Store, customer: Customer, *, skip: Iterable[str] = ()
    ) -> dict[str, Any]:
        """Every plugin's ``customer_values`` merged; plugins named in ``skip`` are not asked."""
        pairs = {(name, "customer_values") for name in skip}
        skipped = pairs - self._running
        self._running.update(skipped)
        try:
            if self._memo is not None:
                hit = self._merge_memo(customer.id, self._value_impls())
                if hit is not None:
                    return hit
            merged: dict[str, Any] = {}
            for _, result in self.call("customer_values", store=store, customer=customer):
                _merge_first_wins(merged, result)
            return merged
        finally:
            self._running.difference_update(skipped)

    def _value_impls(self) -> list[Any]:
        """The customer_values implementations a call would ask now, in call order."""
        impls = reversed(self.pm.hook.customer_values.get_hookimpls())
        return [i for i in impls if (i.plugin_name, "customer_values") not in self._running]

    def _merge_memo(self, customer_id: str, impls: list[Any]) -> dict[str, Any] | None:
        """The merged values from the memo of values_many, None unless every plugin is in it."""
        assert self._memo is not None
        merged: dict[str, Any] = {}
        for impl in impls:
            done = self._memo.get(impl.plugin_name)
            if done is None or customer_id not in done:
                return None
            if done[customer_id] is not None:
                _merge_first_wins(merged, done[customer_id])
        return merged

    def values_many(
        self, store: Store, customers: Sequence[Customer], *, skip: Iterable[str] = ()
    ) -> list[dict[str, Any]]:
        """:meth:`values` of each customer, in order, with the same answers; a plugin that
        implements ``customer_values_many`` is asked once for all of them."""
        skipped = {(name, "customer_values") for name in skip} - self._running
        outer = self._memo is None
        memo: dict[str, dict[str, Any]] = {} if outer else self._memo  # type: ignore[assignment]
        self._memo = memo
        self._running.update(skipped)
        try:
            impls = self._value_impls()
            batch = {i.plugin_name: i for i in self.pm.hook.customer_values_many.get_hookimpls()}
            # plugins answering one customer at a time first, so a batch plugin finds their values
            for impl in sorted(impls, key=lambda i: i.plugin_name in batch):
                done = memo.setdefault(impl.plugin_name, {})
                todo = [c for c in customers if c.id not in done]
                if not todo:
                    continue
                if impl.plugin_name in batch:
                    many = self._call_impl(batch[impl.plugin_name], "customer_values_many",
                                           {"store": store, "customers": todo}, guard=["customer_values"])
                    if isinstance(many, dict):
                        done.update((c.id, many.get(c.id)) for c in todo)
                        continue
                for c in todo:
                    done[c.id] = self._call_impl(impl, "customer_values", {"store": store, "customer": c})
            return [self._merge_memo(c.id, impls) or {} for c in customers]
        finally:
            self._running.difference_update(skipped)
            if outer:
                self._memo = None

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
        from .yamlio import load_roundtrip

        path = self.config_path or Path(CONFIG_FILE)
        doc = load_roundtrip(path) if path.is_file() else None
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
            f"the {name!r} plugin is not enabled for {store.root} (see `plugins:` in kehu.yaml)"
        )
