"""What a plugin hands over to be called later, guarded as its hooks are.

A ``tui_columns`` hook returns columns whose ``value`` the TUI calls for every row, and
``tui_panels`` panels whose ``render`` it calls on the customer screen: called outside the
plugin host, a value or render that called ``sys.exit`` ended the TUI, and a render returning
something Textual cannot show (a number, a dict, None) ended it with a traceback. The host
hands on copies whose callables are guarded (:func:`guard_handed`): a failure or a result of
the wrong type is reported by the plugin's name (a notification in the TUI, as any plugin
failure) and raised as :class:`HandedFailed`, which the TUI shows in that cell or panel; what
it wrote through the store before failing is undone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .i18n import _
from .plugin_code import WrongResult, error_text, kehus_own, never_awaited, plugin_code, stops_kehu

if TYPE_CHECKING:
    from .plugins import PluginHost


class HandedFailed(Exception):
    """A plugin's column value or panel render failed; it has been reported."""

def guard_handed(host: PluginHost, plugin: str, hook: str, result: Any) -> Any:
    """``result`` of ``hook`` (already checked to be of its type) with the callables in it
    guarded; other hooks' results as they are."""
    if hook == "tui_columns" and result:
        return [dataclasses.replace(c, value=_guarded(host, plugin, f"tui_columns {c.title!r}", c.value, _cell))
                for c in result]
    if hook == "tui_panels" and result:
        return [dataclasses.replace(p, render=_guarded(host, plugin, f"tui_panels {p.title!r}", p.render,
                                                       _panel)) for p in result]
    return result


def _showable(content: Any) -> str | None:
    """None if the TUI can show ``content`` (text or a Rich renderable), else what it got. Text
    is a ``str`` itself: an object of a subclass of it whose ``__str__`` or ``__eq__`` raised
    passed as text and failed where the TUI drew it, outside the plugin's guard."""
    from rich.protocol import is_renderable

    if type(content) is str:
        return None
    return None if not isinstance(content, str) and is_renderable(content) else type(content).__name__


#: the lines and characters one plugin panel may show on the customer screen: a panel of 200 000
#: lines (a log it read) took the screen a minute to open, the app answering no key meanwhile
MAX_PANEL_LINES = 1_000
MAX_PANEL_CHARS = 100_000


def _panel(content: Any) -> str | None:
    """:func:`_showable`, and text (or a Rich ``Text``) of at most :data:`MAX_PANEL_LINES` lines and
    :data:`MAX_PANEL_CHARS` characters: more is the plugin's wrong result."""
    wrong = _showable(content)
    if wrong is not None:
        return wrong
    from rich.text import Text

    text = content if type(content) is str else content.plain if isinstance(content, Text) else None
    if text is not None and (len(text) > MAX_PANEL_CHARS or text.count("\n") >= MAX_PANEL_LINES):
        raise WrongResult(_("returned a text of {lines} lines and {chars} characters; a panel shows at most "
                            "{most_lines} lines and {most_chars} characters").format(
            lines=text.count("\n") + 1, chars=len(text), most_lines=MAX_PANEL_LINES, most_chars=MAX_PANEL_CHARS))
    return None


#: what a list column's cell may be besides a Rich renderable: each itself, not a subclass's object
_CELLS = (str, int, float, Decimal, bool, dt.date, dt.datetime)


def _cell(value: Any) -> str | None:
    """None if a list's cell can show ``value`` (nothing, text, a number, a date, a renderable)."""
    if type(value) is int:  # a record's rule: 5 000 digits (no text of it) ended the TUI in a traceback
        from .models.hostile import too_many_digits, too_many_digits_problem

        if too_many_digits(value):
            raise WrongResult(too_many_digits_problem(_("the value")))
    if value is None or type(value) in _CELLS:
        return None
    return _showable(value) if not isinstance(value, (int, float, Decimal, dt.date)) else type(value).__name__


def _guarded(host: PluginHost, plugin: str, where: str, function: Callable[..., Any],
             check: Callable[[Any], str | None] | None) -> Callable[..., Any]:
    # a plugin not kehu's is given its own copy of the customer: a panel's render that changed it
    # (a new name, another customer's id) changed every panel after it, the built-in points
    # panel showing the points of the customer the id named; kehu's own change nothing
    built_in = kehus_own(function)

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        # called as value(store, customer): what it wrote through the store before failing is
        # undone, as for a hook (a panel that changed a profile and then raised left it changed)
        store = args[0] if args else kwargs.get("store")
        undo = getattr(store, "undo_on_error", None)
        # it only shows (a cell a row, a panel): a write is refused, as in a hook that only reads;
        # a column appending a line wrote one per row each time the list was drawn
        reading = getattr(store, "only_reading", None)
        if not built_in:
            from .own_copies import own_copy

            args = tuple(a if a is store else own_copy(a) for a in args)
            kwargs = {k: v if v is store else own_copy(v) for k, v in kwargs.items()}
        try:
            with undo() if callable(undo) else contextlib.nullcontext(), \
                    plugin_code(stdout_file=not built_in, store=store), \
                    reading(plugin, where) if callable(reading) else contextlib.nullcontext():
                result = never_awaited(function(*args, **kwargs))
                wrong = check(result) if check is not None else None
                if wrong is not None:
                    raise WrongResult(_("returned {kind}, expected text or a Rich renderable").format(kind=wrong))
        except BaseException as exc:  # KeyboardInterrupt still stops kehu
            if stops_kehu(exc):
                raise
            host.report(plugin, where, exc)
            raise HandedFailed(error_text(exc)) from None
        return result

    return guarded
