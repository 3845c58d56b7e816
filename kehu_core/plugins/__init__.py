"""Finding, enabling and calling plugins.

Plugins are found once per process through the ``kehu`` entry-point group (built-in plugins
come the same way), then enabled per store from ``kehu.yaml``::

    plugins:
      disabled: [points]        # or  enabled: [tiering, reminders]
      tiering: {window_days: 365}

Hooks are called through pluggy, so hook wrappers work; each implementation is guarded, so one
failing plugin (raising, calling ``sys.exit``, returning the wrong type) is reported by name,
through the ``kehu.plugins`` logger, its writes are undone, and the others go on.

The modules: ``api`` (what plugins hand back, and the helpers for their authors), ``loading``
(finding the installed plugins; failures and their logger), ``host`` (:class:`PluginHost`),
``guards`` (its guarded hook implementations) and ``results`` (what each hook may return).
The names plugins and the rest of kehu use are imported here.
"""

from __future__ import annotations

from ..plugin_code import WrongResult
from .api import (
    Column,
    Exporter,
    ImportedContact,
    Importer,
    MessageSender,
    Panel,
    ReminderRule,
    plugin_settings,
    require_enabled,
)
from .host import PluginHost
from .loading import PluginFailure, logger

__all__ = [
    "Column", "Exporter", "ImportedContact", "Importer", "MessageSender", "Panel", "PluginFailure", "PluginHost",
    "ReminderRule", "WrongResult", "logger", "plugin_settings", "require_enabled",
]
