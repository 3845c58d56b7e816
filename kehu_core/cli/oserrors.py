"""What kehu says of a path the system cannot follow, where Python gives no file name or no
OSError: a link that leads back to itself, a working folder deleted under the shell."""

from __future__ import annotations

import errno
import os

from ..errors import os_error_text
from ..i18n import _


def symlink_loop(exc: RuntimeError) -> str | None:
    """``PATH: Too many levels of symbolic links`` when ``exc`` is Python's word for a link
    that leads back to itself (``Path.resolve`` before Python 3.13 raises RuntimeError, not
    OSError): `kehu init loop` or `--store loop` ended in "internal error"."""
    said = str(exc)
    if not said.startswith("Symlink loop from "):
        return None
    path = said.removeprefix("Symlink loop from ").strip("'")
    return f"{path}: {os_error_text(OSError(errno.ELOOP, os.strerror(errno.ELOOP)))}"


def gone_working_folder(exc: OSError) -> str:
    """``"the working folder: "`` when ``exc`` is its being gone (deleted or moved by another
    program while the shell was in it): each `Path.cwd()` and relative path fails so, without a
    file name, and `kehu init x` or `kehu list` said a bare "No such file or directory"."""
    if isinstance(exc, FileNotFoundError):
        try:
            os.getcwd()
        except OSError:
            return _("the working folder (deleted or moved since the shell went into it; cd into a "
                     "folder that is there, or give --store PATH): ")
    return ""


def unreadable(exc: OSError) -> str | None:
    """``PATH:1: cannot read: permission denied (…)`` when ``exc`` is the system refusing to
    read a file or list a folder that is there, as `kehu check` names it; None for any other
    error (a write refused, a file gone). A report or command reading a folder `kehu check`
    names (``visits/``, ``.kehu/journal``) said the system's bare "PATH: Permission denied"."""
    if not isinstance(exc, PermissionError) or not exc.filename:
        return None
    from ..errors import shown_path
    from ..yamlio import cannot_read, permission_denied_message

    path = os.fsdecode(exc.filename)
    said = cannot_read(path)
    if said is None and os.path.isdir(path) and not os.path.islink(path):
        try:
            os.listdir(path)
        except PermissionError:
            said = permission_denied_message()
        except OSError:
            return None
    return None if said is None else f"{shown_path(path)}:1: {said}"
