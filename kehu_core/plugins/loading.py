"""Finding the installed plugins (the ``kehu`` entry-point group), once per process, and
reporting a plugin's failures (:class:`PluginFailure`, the ``kehu.plugins`` logger)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from traceback import format_exception
from typing import Any

from ..entrypoints import advertised_entries, shadowed_entries
from ..entrypoints import load as load_entry_point
from ..errors import PLUGIN_LOGGER, shown_path
from ..i18n import _
from ..plugin_code import error_text, plugin_code, stops_kehu


@dataclass
class PluginFailure:
    """One failure of a plugin: it raised, called ``sys.exit``, or gave a result of the wrong
    type. ``traceback`` is what ``kehu --debug`` prints."""

    plugin: str
    hook: str
    error: str
    traceback: str = field(default="", repr=False, compare=False)

    def __str__(self) -> str:
        # the plugin's words as every kehu message shows them (a line feed as \n, ESC as \x1b):
        # raw, `kehu: plugin 'x' failed in import: bad` went on with a line "kehu: ok" of its own
        return _("plugin {plugin} failed in {hook}: {error}").format(
            plugin=repr(self.plugin), hook=self.hook, error=shown_path(self.error))


#: Where plugin failures go: one WARNING record per new failure (``extra``: ``failure``, the
#: :class:`PluginFailure`). The CLI prints them on stderr, the TUI shows them as notifications.
logger = logging.getLogger(PLUGIN_LOGGER)


def log_failure(failure: PluginFailure) -> None:
    logger.warning("%s", failure, extra={"failure": failure})


# --- discovery ------------------------------------------------------------------------------


#: Plugins that could not even be imported, as failures (shown by ``kehu plugins``).
load_failures: list[PluginFailure] = []


#: the modules of the plugins imported so far (by name), and the names tried (imported or failed)
_loaded: dict[str, Any] = {}
_tried: set[str] = set()
_loading = threading.RLock()  # kehu serve's threads open the store each for itself


def installed_plugins(wanted: Callable[[str], bool] = lambda name: True) -> dict[str, Any]:
    """The plugin modules advertised in the ``kehu`` entry-point group whose names ``wanted``
    takes (a store's ``plugins: enabled:``/``disabled:``), each imported once, when first
    wanted. A plugin the shop disabled is never imported: its module's failure was said on
    every command, and its import's time (one connecting to a server as it loads) paid, though
    ``plugins: disabled:`` was the way kehu's docs gave to turn it off."""
    with _loading:
        return _imported(wanted)


def _imported(wanted: Callable[[str], bool]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in advertised_entries():
        if not wanted(name):
            continue
        if name not in _tried:
            _tried.add(name)
            try:
                # what a module prints as it is imported goes to stderr, as in a hook (PluginHost.call):
                # stdout is the command's, and `customer list --json` must stay JSON only
                with plugin_code():
                    _loaded[name] = load_entry_point(value)
            except BaseException as exc:  # a broken third-party plugin must not stop kehu,
                if stops_kehu(exc):
                    raise
                # nor end it with its own exit code and no word (`sys.exit()` as its module loads)
                failure = PluginFailure(name, "import", error_text(exc), "".join(format_exception(exc)))
                load_failures.append(failure)
                log_failure(failure)
        if name in _loaded:
            found[name] = _loaded[name]
    _say_shadowed()
    return found


@cache
def _say_shadowed() -> None:
    """Each other distribution advertising a name that is loaded: said once, never loaded."""
    for name, value, loaded in shadowed_entries():  # said, never loaded in the name's place
        failure = PluginFailure(name, "import", _(
            "another installed plugin has this name ({loaded}); {value} is not loaded: its "
            "entry point needs a name of its own").format(loaded=loaded, value=value))
        load_failures.append(failure)
        log_failure(failure)
