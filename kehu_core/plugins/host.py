"""The plugins enabled for one store, and safe ways to call them (:class:`PluginHost`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path
from traceback import format_exception
from typing import TYPE_CHECKING, Any

import pluggy
from pydantic import ValidationError, create_model

from .. import hookspecs
from ..config import PluginSettings
from ..entrypoints import advertised_entries
from ..errors import Problem, RecordError
from ..i18n import _
from ..models import Customer
from ..plugin_code import WrongResult, error_text, plugin_exits, stops_kehu
from ..read_only import read_only
from .api import SettingsT
from .field_types import guarded_fields
from .guards import GuardedHooks, HookCall
from .loading import PluginFailure, installed_plugins, load_failures, log_failure, plugin_code
from .results import NAMED_BY, named_twice
from .values import CustomerValues, merge_first_wins

if TYPE_CHECKING:
    from ..store import Store


class PluginHost(CustomerValues, GuardedHooks):
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
        self._own: dict[str, tuple[Any, bool]] = {}
        self._calls: list[HookCall] = []
        # (plugin, hook) pairs running right now: a plugin whose hook (indirectly) calls the
        # same hook again, e.g. a reminder rule asking for a customer's values, is skipped
        # on the inner call instead of recursing forever.
        self._running: set[tuple[str, str]] = set()
        # while values_many runs: plugin -> customer id -> its customer_values result, so a
        # batch plugin asking for the others' values (a reminder rule wanting the tier) reuses them
        self._memo: dict[str, dict[str, Any]] | None = None
        self._too_slow: set[str] = set()
        # the enabled ones imported (a disabled plugin's module never is: loading.installed_plugins)
        found = installed_plugins(settings.is_enabled) if discover else {}
        advertised = [name for name, _value in advertised_entries()] if discover else []
        # what a name in `enabled:`/`disabled:` may be (one that failed to import is installed);
        # a bare store's (no discovery) knows no installed plugin, so it names none unknown
        self.installed: list[str] | None = (
            sorted({*advertised, *(extra or {}), *(f.plugin for f in load_failures)}) if discover else None)
        for name, module in {**found, **(extra or {})}.items():
            if settings.is_enabled(name):
                self.register(module, name)
        self.disabled.extend(name for name in dict.fromkeys([*advertised, *(extra or {})])
                             if not settings.is_enabled(name))

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
        self.__dict__.pop("_declared_fields", None)
        self.__dict__.pop("customer_model", None)
        return True

    def registrations(self) -> dict[str, Any]:
        """Which plugin object is registered under each name (None: blocked), to put back with
        :meth:`registrations_back` (a copy of pluggy's own map: well under a microsecond)."""
        return dict(self.pm._name2plugin)

    def registrations_back(self, before: dict[str, Any]) -> None:
        """The plugins registered as :meth:`registrations` saw them: a plugin's hook that
        unregistered or blocked others (``store.plugins.pm.unregister(...)``: the built-in points
        and tiers) left the rest of the command without them, an import's later rows without
        their points and tiers, `check` ok."""
        now = self.pm._name2plugin
        if now == before:
            return
        for name, plugin in list(now.items()):
            if before.get(name) is not plugin:
                if plugin is None:
                    del now[name]  # blocked: unblocked
                else:
                    self.pm.unregister(plugin=plugin, name=name)
        for name, plugin in before.items():
            if name not in now and plugin is not None:
                self.pm.register(plugin, name=name)

    def names(self) -> list[str]:
        return sorted(n for n, _plugin in self.pm.list_name_plugin())

    def built_in(self, name: str) -> bool:
        """Whether the plugin registered as ``name`` is one of kehu's built-in plugins."""
        return self._kehus(name)

    def hooks_of(self, name: str) -> list[str]:
        plugin = self.pm.get_plugin(name)
        return sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])

    def implementers(self, hook: str) -> list[str]:
        """The plugins implementing ``hook``, by name: asked before each ledger line is written
        (an import's 5 000), where :meth:`hooks_of` of every plugin cost more than the rules."""
        return [impl.plugin_name for impl in getattr(self.pm.hook, hook).get_hookimpls()]

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

    def unknown_names(self) -> list[Problem]:
        """Warnings for names in kehu.yaml's ``enabled:``/``disabled:`` no installed plugin has
        (:mod:`kehu_core.plugin_names`); none for a host that looked for no plugin."""
        if self.installed is None:
            return []
        from ..plugin_names import warnings

        return warnings(self.settings.enabled, self.settings.disabled, self.installed,
                        self._config_file(), self.config_line)

    def config_line(self, key: str, position: int) -> int:
        """The line of ``plugins: KEY:``'s item at ``position`` in kehu.yaml (1 if unknown)."""
        from ..yamlio import line_of, lines_doc

        path = self._config_file()
        return line_of(lines_doc(path), ["plugins", key, position]) if path.is_file() else 1

    def _config_file(self) -> Path:
        from ..config import CONFIG_FILE

        return self.config_path or Path(CONFIG_FILE)

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

    # --- calling --------------------------------------------------------------------------

    @contextlib.contextmanager
    def bounded(self, seconds: float) -> Iterator[None]:
        """Within this, each hook of an installed plugin runs at most ``seconds`` (in the main
        thread): one running past them is stopped, as the plugin's failure, and that plugin is
        not asked again until the end of it. `kehu sync` holds the store's lock while it asks
        the plugins' rules, often run by a schedule with nobody watching: a rule that never
        returned (a network call to a server that never answers) held it for ever, every
        other command and the next scheduled sync refused, without a word of why."""
        before, self._bound = self._bound, seconds
        try:
            yield
        finally:
            self._bound = before
            if before is None:
                self._too_slow.clear()

    def stopped(self) -> set[str]:
        """The plugins stopped within the bound now holding (:meth:`bounded`): their hooks are
        not asked again until its end, so a rule of theirs is passed over unasked."""
        return set(self._too_slow) if self._bound is not None else set()

    def call(self, hook: str, *, leave_out: Iterable[str] = (), **kwargs: Any) -> list[tuple[str, Any]]:
        """Call ``hook`` through pluggy (wrappers included): every implementation, the plugin
        registered last first; (plugin name, result) for each result that is not None. A
        failing implementation is recorded and gives nothing; the others go on.

        ``leave_out``: plugins not asked by this call; the plugins asked may still ask them
        (a reminder rule wants the tier while only the reminders' values are computed)."""
        frame = HookCall(kwargs.get("store"))
        caller = getattr(self.pm.hook, hook)
        removed = [p for p in (self.pm.get_plugin(name) for name in leave_out) if p is not None]
        if removed:
            caller = self.pm.subset_hook_caller(hook, remove_plugins=removed)
        self._calls.append(frame)
        try:
            # what a hook prints goes to stderr: stdout is the command's (`--json` is JSON only,
            # and a plugin's print() before it made `customer list --json` unreadable, exit 0);
            # so does what a program a third party's hook runs writes (plugin_code.plugin_code); asked
            # of the plugins themselves: pluggy's are their stand-ins, none of them kehu's own, so
            # every call of kehu's plugins alone (one a customer of `kehu check`) moved the file too
            with plugin_code(stdout_file=not all(self._kehus(i.plugin_name) for i in caller.get_hookimpls())):
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
        """Flatten list results of ``hook`` from every plugin (:meth:`items`)."""
        return [item for _plugin, item in self.items(hook, **kwargs)]

    def items(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """(plugin name, item) for each item of the list results of ``hook``. What these items
        are named by (:data:`~.results.NAMED_BY`: a reminder rule's name, an importer's, an
        exporter's, a sender's channel, a list column's key) is one plugin's: one plugin's item replaces a built-in
        plugin's of its name (as a plugin's exporter replaces kehu's), and a name more than one
        other plugin gives (or one gives twice) is used by none, each of them named."""
        given = [(plugin, item) for plugin, result in self.call(hook, **kwargs) for item in result]
        attr = NAMED_BY.get(hook)
        if attr is None:
            return given
        theirs: dict[str, list[str]] = {}  # name -> the plugins not kehu's giving it, once an item
        for plugin, item in given:
            if not self._kehus(plugin) and getattr(item, attr) is not None:  # (a column's key
                theirs.setdefault(getattr(item, attr), []).append(plugin)                  # may be left out)
        for name, plugins in theirs.items():
            if len(plugins) > 1:
                for plugin in sorted(set(plugins)):
                    self.report(plugin, hook, named_twice(attr, name, plugins))
        return [(plugin, item) for plugin, item in given
                if (name := getattr(item, attr)) not in theirs or theirs[name] == [plugin]]

    @cached_property
    def _declared_fields(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The plugins' customer fields as the model gets them, and the plugin each is of (on a
        clash, the one registered last: its declaration is the model's)."""
        fields: dict[str, Any] = {}
        owners: dict[str, str] = {}
        for name, declared in self.call("customer_fields"):
            merge_first_wins(fields, guarded_fields(name, declared))
            for key in declared:
                owners.setdefault(key, name)
        return fields, owners

    @cached_property
    def customer_model(self) -> type[Customer]:
        fields = self._declared_fields[0]
        if not fields:
            return Customer
        return create_model("StoreCustomer", __base__=Customer, **fields)

    def field_owners(self) -> dict[str, str]:
        """Each customer field a plugin declares (``customer_fields``) → that plugin's name."""
        return self._declared_fields[1]

    def kept_fields(self, store: Store, customer: Customer, fields: Iterable[str]) -> dict[str, tuple[str, Any]]:
        """What the plugins keep ``fields`` of ``customer`` as (the ``kept_customer_fields``
        hook): field → (the plugin, the value it keeps), for those of ``fields`` each plugin
        declares; a plugin giving a key that is no field of its own (kehu's ``name``, another
        plugin's field) is reported by name and all it gave is left out. Only the plugins
        declaring one of ``fields`` are asked."""
        owners, wanted = self.field_owners(), set(fields)
        asked = {owners[f] for f in wanted if f in owners}
        if not asked:
            return {}
        kept: dict[str, tuple[str, Any]] = {}
        others = [n for n in self.names() if n not in asked]
        for name, result in self.call("kept_customer_fields", leave_out=others, store=store, customer=customer):
            strange = sorted(k for k in result if owners.get(k) != name)
            if strange:
                self.report(name, "kept_customer_fields", WrongResult(_(
                    "returned {keys}: not fields it declares (customer_fields); a plugin keeps only its own "
                    "fields").format(keys=", ".join(map(repr, strange)))))
                continue
            kept.update((k, (name, v)) for k, v in result.items() if k in wanted)
        return kept

    def interaction_saved(self, store: Store, customer: Customer, interaction: Any, *,
                          leave_out: Iterable[str] = ()) -> None:
        self.call("interaction_saved", leave_out=leave_out, store=store, customer=customer, interaction=interaction)

    def running(self, hook: str) -> frozenset[str]:
        """The plugins whose ``hook`` runs now (a hook of theirs that called kehu)."""
        return frozenset(name for name, running in self._running if running == hook) if self._running else frozenset()

    def settings_for(self, name: str) -> dict[str, Any]:
        return self.settings.settings_for(name)

    def settings_model(self, name: str, model: type[SettingsT]) -> SettingsT:
        """``plugins: <name>:`` validated by ``model``, once per host (see :func:`plugin_settings`)."""
        key = (name, model)
        if key not in self._settings_cache:
            # `expiry_days: true` was one day, `1_000` a thousand (the plugin's model is a third
            # party's): said first, `false` is "less than 1" to pydantic
            from ..problems import settings_numbers

            settings, flags = settings_numbers(model, self.settings_for(name), self._config_file(),
                                               prefix=("plugins", name))
            if flags:
                raise RecordError(flags)
            try:
                # the store's folder, for a validator of a path (the outbox's folder: not among
                # the records), as pydantic's validation context: hookspecs.settings_model
                context = {"store_root": self.config_path.parent} if self.config_path else None
                with plugin_exits():
                    validated = model.model_validate(settings, context=context)
                # one object for every plugin asking (the points plugin's own, a third party
                # reading them): a change of it changed the points of every later sale
                self._settings_cache[key] = read_only(validated)
            except ValidationError as exc:
                raise RecordError(self._settings_problems(name, exc)) from None
            except BaseException as exc:  # the model is the plugin's code: a validator's own failure
                if stops_kehu(exc):
                    raise
                raise RecordError([self._failed_settings_problem(name, exc)]) from None
        return self._settings_cache[key]

    def _failed_settings_problem(self, name: str, exc: BaseException) -> Problem:
        """A plugin's settings model that failed on its settings (a validator raising KeyError,
        calling sys.exit) instead of refusing them: every command ended in "internal error" (or
        with the plugin's exit code, without a word), as it ran outside every guard. Said as
        settings that cannot be read, at the plugin's section of kehu.yaml, with the plugin."""
        from ..yamlio import line_of, lines_doc

        path = self._config_file()
        line = line_of(lines_doc(path), ["plugins", name]) if path.is_file() else 1
        error = f"sys.exit({exc.code!r})" if isinstance(exc, SystemExit) else error_text(exc)
        return Problem(path, line, _("plugins.{section}: the settings model of plugin {plugin} failed on these "
                                     "settings ({error}); they cannot be read").format(
            section=name, plugin=repr(name), error=error))

    def settings_problems(self) -> list[Problem]:
        """What is wrong with each plugin's section of kehu.yaml, validated by the model the
        plugin declares (the ``settings_model`` hook): at its line, naming plugin and field."""
        problems: list[Problem] = []
        unset = [name for name in self.names() if not self.settings_for(name)]  # defaults: nothing to ask
        if len(unset) == len(self.names()):
            return problems  # (a plugin's module may import its model only when asked)
        for name, model in self.call("settings_model", leave_out=unset):
            try:
                self.settings_model(name, model)
            except RecordError as exc:
                problems.extend(exc.problems)
        return problems

    def _settings_problems(self, name: str, exc: ValidationError) -> list[Problem]:
        from ..problems import validation_problems
        from ..yamlio import lines_doc

        path = self._config_file()
        doc = lines_doc(path) if path.is_file() else None
        return validation_problems(exc, path, doc, prefix=["plugins", name])
