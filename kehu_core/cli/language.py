"""The language of a command line: ``--lang`` checked, and chosen before click parses the line
(``--lang``, ``KEHU_LANG``, the store's ``language:``, the environment)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from .. import i18n
from ..i18n import _


def set_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """``--lang``: already applied by :func:`run` (before any help was built); checked here."""
    if value is None:
        return
    if i18n.normalize(value) is None:
        raise click.BadParameter(_("unknown language {value!r}: kehu speaks {languages}").format(
            value=value, languages=", ".join(i18n.LANGUAGES)))
    if i18n.normalize(value) != i18n.language():
        i18n.set_language(value)


#: root options that take a value (the language is looked for before click parses the line)
_VALUED_ROOT_OPTIONS = ("--store", "--today", "--lang", "--identity")


def _root_options(argv: list[str]) -> dict[str, str]:
    """The root options given before the command (``--lang``, ``--store``, ``--demo``)."""
    found: dict[str, str] = {}
    i = 0
    while i < len(argv):
        token = argv[i]
        if not token.startswith("-") or token == "--":
            break
        name, eq, value = token.partition("=")
        if name in _VALUED_ROOT_OPTIONS:
            if not eq:
                i += 1
                value = argv[i] if i < len(argv) else ""
            found[name] = value
        elif name == "--demo":
            found[name] = "1"
        i += 1
    return found


def language_chooser(argv: list[str]) -> Any:
    """How :mod:`kehu_core.i18n` chooses the language for this command line: ``--lang``,
    ``KEHU_LANG``, the store's ``language:``, the environment (looked at on the first string
    translated)."""

    def choose() -> str:
        options = _root_options(argv)
        if i18n.normalize(options.get("--lang")) or i18n.normalize(os.environ.get("KEHU_LANG")):
            return i18n.choose(options.get("--lang"))
        store: Path | None = None
        if "--demo" not in options:
            explicit = options.get("--store") or os.environ.get("KEHU_STORE")
            if explicit:
                store = Path(explicit)
            else:
                from ..discovery import find_store

                try:
                    store = find_store(Path.cwd())
                except OSError:  # the working folder deleted under the shell: said by the command
                    store = None
        return i18n.choose(options.get("--lang"), i18n.store_language(store))

    return choose
