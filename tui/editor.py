"""Editing a customer file in ``$EDITOR``: :mod:`kehu_core.services.editing` (``kehu edit``
uses the same session), re-exported for the TUI's ``E`` key."""

from kehu_core.services.editing import EditSession, editor_command

__all__ = ["EditSession", "editor_command"]
