"""The TUI in the user's language (kehu_core.i18n chooses it; docs/translating.md).

Labels, titles and notifications call ``_()`` when they are shown. Key bindings are class
attributes, built when a module is imported: their descriptions are marked with ``N_()`` (English
in the code) and :func:`localize_bindings` translates them when the app starts, before any screen
exists, so the footer, the command palette and the help screen show them in the app's language.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from rich.align import Align
from rich.text import Text
from textual.binding import Binding, BindingsMap
from textual.command import CommandList, CommandPalette
from textual.dom import DOMNode
from textual.widgets.option_list import Option

from kehu_core.i18n import N_, _

_ENGLISH = "_kehu_english_bindings"


def _tui_classes(base: type[DOMNode] = DOMNode) -> Iterator[type[DOMNode]]:
    for cls in base.__subclasses__():
        if cls.__module__.startswith(("kehu_tui.", "tui.")):
            yield cls
        yield from _tui_classes(cls)


def translated(binding: Binding) -> Binding:
    return dataclasses.replace(binding, description=_(binding.description),
                               tooltip=_(binding.tooltip) if binding.tooltip else binding.tooltip)


def localize_bindings() -> None:
    """Every TUI class's merged bindings with their descriptions in the current language (from
    the English kept aside, so a second app in another language translates them again).

    Textual copies a class's merged bindings (``_merged_bindings``, built at class creation)
    into each new widget: replacing them before the app and its screens are made is the one
    place a translation can go without wrapping every binding in code."""
    for cls in set(_tui_classes()):
        english = cls.__dict__.get(_ENGLISH)
        if english is None:
            english = cls._merge_bindings()
            setattr(cls, _ENGLISH, english)
        cls._merged_bindings = BindingsMap.from_keys({
            key: [translated(b) for b in bindings] for key, bindings in english.key_to_bindings.items()})


#: Textual's own words that kehu's screens show (its command palette and system commands),
#: marked for kehu's catalog: KehuApp passes them through _() where Textual lets an app give
#: its own text (``get_system_commands``, the palettes' placeholders)
TEXTUAL_WORDS = (
    N_("Theme"), N_("Change the current theme"), N_("Quit"), N_("Quit the application as soon as possible"),
    N_("Keys"), N_("Hide the keys and widget help panel"),
    N_("Show help for the focused widget and a summary of available keys"),
    N_("Minimize"), N_("Minimize the widget and restore to normal size"),
    N_("Maximize"), N_("Maximize the focused widget"),
    N_("Screenshot"), N_("Save an SVG 'screenshot' of the current screen"),
    N_("Search for commands…"), N_("Search for themes…"), N_("No matches found"),
)


class KehuCommandPalette(CommandPalette):
    """Textual's command palette, saying "No matches found" in the user's language.

    Textual writes those words inside a closure of ``_start_no_matches_countdown``, where no
    app can give its own text: this is that method as Textual 8 has it, the words through
    ``_()`` (tests/test_i18n_tui.py searches for nothing in both languages, so a Textual that
    renames the method shows up there)."""

    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def _show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(Option(
                    Align.center(Text(_("No matches found"), style="not bold")),
                    disabled=True, id=self._NO_MATCHES))
                self._list_visible = True
            else:  # discovery mode (nothing typed): nothing to say
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, _show_no_matches)

