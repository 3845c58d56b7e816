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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Protocol

import pluggy
from pydantic import create_model

from . import hookspecs
from .config import PluginSettings
from .models import Customer, Reminder

if TYPE_CHECKING:
    from pathlib import Path

    from .store import Store

ENTRY_POINT_GROUP = "kehu"


# --- what plugins hand back -----------------------------------------------------------------


class ReminderRule(Protocol):
    """A follow-up rule. ``due`` yields the reminders of one customer falling in [start, end]."""

    name: str

    def due(
        self, store: Store, customer: Customer, history: list[Any], start: dt.date, end: dt.date
    ) -> Iterable[Reminder]: ...


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


@cache
def installed_plugins() -> dict[str, Any]:
    """Every plugin module advertised in the ``kehu`` entry-point group, loaded once."""
    found: dict[str, Any] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found[ep.name] = ep.load()
        except Exception as exc:  # a broken third-party plugin must not stop kehu
            print(f"kehu: plugin {ep.name!r} could not be loaded: {exc}", file=sys.stderr)
    return found


class PluginHost:
    """The plugins enabled for one store, and safe ways to call them."""

    def __init__(self, settings: PluginSettings, extra: dict[str, Any] | None = None):
        self.settings = settings
        self.pm = pluggy.PluginManager("kehu")
        self.pm.add_hookspecs(hookspecs)
        self.failures: list[PluginFailure] = []
        for name, module in {**installed_plugins(), **(extra or {})}.items():
            if settings.is_enabled(name):
                self.pm.register(module, name=name)

    def register(self, plugin: Any, name: str) -> None:
        """Register a plugin object by hand (tests, scripts)."""
        self.pm.register(plugin, name=name)
        self.__dict__.pop("customer_model", None)

    def names(self) -> list[str]:
        return sorted(n for n, _ in self.pm.list_name_plugin())

    def hooks_of(self, name: str) -> list[str]:
        plugin = self.pm.get_plugin(name)
        return sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])

    def call(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every implementation of ``hook``; a raising one is recorded, not propagated."""
        results = []
        caller = getattr(self.pm.hook, hook)
        for impl in reversed(caller.get_hookimpls()):  # registration order
            args = {k: kwargs[k] for k in impl.argnames if k in kwargs}
            try:
                result = impl.function(**args)
            except Exception as exc:
                failure = PluginFailure(impl.plugin_name, hook, f"{type(exc).__name__}: {exc}")
                self.failures.append(failure)
                print(f"kehu: {failure}", file=sys.stderr)
                if "--debug" in sys.argv:
                    traceback.print_exc()
                continue
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

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
            fields.update(declared)
        if not fields:
            return Customer
        return create_model("StoreCustomer", __base__=Customer, **fields)

    def values(self, store: Store, customer: Customer) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for _, result in self.call("customer_values", store=store, customer=customer):
            merged.update(result)
        return merged

    def interaction_saved(self, store: Store, customer: Customer, interaction: Any) -> None:
        self.call("interaction_saved", store=store, customer=customer, interaction=interaction)

    def settings_for(self, name: str) -> dict[str, Any]:
        return self.settings.settings_for(name)


def open_store(path: str | Path, *, extra_plugins: dict[str, Any] | None = None) -> Store:
    """Open a store with its enabled plugins: what the CLI and the TUI do."""
    from .store import Store

    store = Store.open(path)
    store.plugins = PluginHost(store.config.plugins, extra_plugins)
    return store
