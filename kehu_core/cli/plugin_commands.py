"""The plugins' own commands (the ``register_commands`` hook), each run guarded as a hook is: a
command that fails leaves nothing written through the store (``Store.undo_on_error``), and one
that fails in a way no command should (an exception that is neither a refusal, ``KehuError`` or
click's, nor an OS error) is named by its plugin. A third party's `kehu hostile-cmd ID` that
changed a profile, added a ledger line and then raised ValueError ended in "internal error"
(kehu's own bug, by its words), the profile and the line left written for `kehu sync` to share."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import click

from ..errors import KehuError
from ..i18n import _
from ..plugin_code import WrongResult
from ..plugins.results import named_twice

if TYPE_CHECKING:
    from ..plugins import PluginHost
    from ..store import Store


def register_plugin_commands(host: PluginHost, group: click.Group, kehus: Collection[str] = ()) -> None:
    """Every plugin's ``register_commands`` on ``group``, one plugin at a time, so each command
    added is known by the plugin that added it, and guarded (:func:`_guarded`).

    A command's name is one plugin's, as a sender's channel is (``PluginHost.items``): kehu's
    built-in plugins are asked first, so a third party's command replaces a built-in plugin's
    of its name whatever the two are called (which ran depended on the names' order: a third
    party's `points` sorting before kehu's was dropped without a word); a name two third
    parties give is used by neither (the last asked won), and a name of kehu's own commands
    (``kehus``, which the plugins' never replace) is told to its plugin, each named as failed."""
    names = host.names()
    theirs: dict[str, list[str]] = {}  # a command's name -> the third parties giving it
    before_theirs: dict[str, click.Command] = {}
    for name in sorted(names, key=lambda n: not host.built_in(n)):
        if not theirs and not host.built_in(name):
            before_theirs = dict(group.commands)
        before = dict(group.commands)
        host.call("register_commands", leave_out=[n for n in names if n != name], cli=group)
        for command_name, command in group.commands.items():
            if before.get(command_name) is not command:
                command.invoke = _guarded(command.invoke, name, command_name)  # type: ignore[method-assign]
                if not host.built_in(name):
                    theirs.setdefault(command_name, []).append(name)
    for command_name, plugins in theirs.items():
        if command_name in kehus:
            for plugin in plugins:
                host.report(plugin, "register_commands", WrongResult(_(
                    "gives command {name}, one of kehu's own: it is never run; name it otherwise").format(
                    name=repr(command_name))))
        elif len(plugins) > 1:
            for plugin in plugins:
                host.report(plugin, "register_commands", named_twice("command", command_name, plugins))
            if command_name in before_theirs:
                group.commands[command_name] = before_theirs[command_name]
            else:
                del group.commands[command_name]


def _guarded(invoke: Callable[[click.Context], Any], plugin: str, command: str) -> Callable[[click.Context], Any]:
    def guarded(ctx: click.Context) -> Any:
        store = _store_of(ctx)
        if store is None:  # no store to open here: nothing of one to put back
            return _named(invoke, ctx, plugin, command)
        ended: BaseException | None = None
        with store.undo_on_error():
            try:
                return _named(invoke, ctx, plugin, command)
            except (click.exceptions.Exit, SystemExit) as exc:  # an exit the command chose: what it wrote stands
                ended = exc
        raise ended
    return guarded


def _named(invoke: Callable[[click.Context], Any], ctx: click.Context, plugin: str, command: str) -> Any:
    try:
        return invoke(ctx)
    except (KehuError, click.ClickException, click.exceptions.Exit, click.exceptions.Abort, OSError):
        raise  # a refusal or an OS error, said as kehu says them
    except Exception as exc:
        from ..plugin_code import disk_full, error_text

        if disk_full(exc):  # the store's disk full, met in the plugin's call: the command's, not the plugin's
            raise
        raise KehuError(_("plugin {plugin} failed in its command {command}: {error}; what it wrote in the store "
                          "was put back").format(plugin=repr(plugin), command=command, error=error_text(exc))) from exc


def _store_of(ctx: click.Context) -> Store | None:
    """The command's store as every command opens it (``Context.store``, kept for the command
    to use), or None where there is none to open (the command may not need one)."""
    from .context import Context

    obj = ctx.find_object(Context)
    if obj is None:
        return None
    try:
        return obj.store
    except (KehuError, OSError):
        return None
