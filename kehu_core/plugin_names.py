"""Names in kehu.yaml's ``plugins: enabled:`` / ``disabled:`` that no installed plugin has.

A warning, never a problem: kehu.yaml is shared by every clone, and a clone that lacks a
third-party plugin the team enabled must still open the store and sync (``kehu sync`` refuses
what ``kehu check`` rejects). But a typo in ``enabled:`` (``[pointz]``) silently turns every
plugin it does not name off for the whole team, so it is said on every command's stderr
(``cli.context.say_warnings``), listed by ``kehu check`` and shown by ``kehu plugins``, at its
line, with the names installed, the one probably meant and what ``enabled:`` turned off.

Light on purpose (no YAML parser, no pydantic): an answer read from an up-to-date index says
it from what the index noted (:func:`noted`), as the store that opens says it from kehu.yaml."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import Problem
from .i18n import _

#: (``enabled`` or ``disabled``, the position in that list, the name)
Entry = tuple[str, int, str]


def unknown_entries(enabled: Sequence[str] | None, disabled: Sequence[str],
                    installed: Collection[str]) -> list[Entry]:
    """Each name of ``enabled``/``disabled`` that no plugin of ``installed`` has."""
    return [(key, position, name)
            for key, names in (("enabled", enabled or ()), ("disabled", disabled))
            for position, name in enumerate(names) if name not in installed]


def warnings(enabled: Sequence[str] | None, disabled: Sequence[str], installed: Collection[str],
             path: Path, line_for: Callable[[str, int], int]) -> list[Problem]:
    """A warning for each unknown name, at ``line_for(key, position)`` of ``path``."""
    known = sorted(set(installed))
    return [Problem(path, line_for(key, position),
                    f"plugins.{key}: " + _message(key, name, known, list(enabled or ())))
            for key, position, name in unknown_entries(enabled, disabled, known)]


def _message(key: str, name: str, known: list[str], enabled: list[str]) -> str:
    import difflib

    text = _("no installed plugin is named {name} (installed: {installed})").format(
        name=repr(name), installed=", ".join(known) or _("none"))
    guess = difflib.get_close_matches(name, known, n=1)
    if guess:  # (a question ends its sentence: what follows is one of its own)
        text += "; " + _("did you mean {name}?").format(name=repr(guess[0]))
    then = " " if guess else "; "
    if key == "disabled":
        return text + then + _("it turns nothing off")
    off = [plugin for plugin in known if plugin not in enabled]
    if off:  # what the typo costs: `enabled:` is a whitelist
        text += then + _("`enabled:` runs only the plugins it names: {plugins} are off").format(
            plugins=", ".join(off))
    return text


def as_warning(problem: Problem) -> str:
    """``path:line: warning: message``, as a compiler says a warning (no exit code changes)."""
    return f"{problem.path}:{problem.line}: " + _("warning: {message}").format(message=problem.message)


# --- what the index notes, for answers read from it alone -----------------------------------


def note(enabled: Sequence[str] | None, disabled: Sequence[str], installed: Collection[str],
         line_for: Callable[[str, int], int]) -> dict[str, Any] | None:
    """What the index keeps of ``enabled``/``disabled`` when a name is unknown (else None):
    the lists and each unknown name's line, so :func:`noted` needs no YAML parser."""
    unknown = unknown_entries(enabled, disabled, installed)
    if not unknown:
        return None
    return {"enabled": None if enabled is None else list(enabled), "disabled": list(disabled),
            "lines": {f"{key}:{position}": line_for(key, position) for key, position, _name in unknown}}


def noted(kept: Mapping[str, Any] | None, installed: Collection[str], path: Path) -> list[Problem]:
    """The warnings of what :func:`note` kept, against the plugins installed now."""
    if not kept:
        return []
    lines = kept.get("lines") or {}
    return warnings(kept.get("enabled"), kept.get("disabled") or [], installed, path,
                    lambda key, position: int(lines.get(f"{key}:{position}", 1)))
