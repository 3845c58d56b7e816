"""Small files read whole that are no records: a file a person names to kehu (an age identity)
and the files kehu keeps for itself in the user's cache folder (the plugins' entry points, the
holiday tables). Read without waiting on what is no regular file and within a size; a kept file
that is not whole and sound is only not there. Light on purpose: the entry-point table is read
by every command before anything else is imported."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from .i18n import _

#: the most a file kehu keeps in the user's cache holds (a year's holidays: 1 KB; the entry
#: points of an environment with a few hundred plugins: tens of KB)
KEPT_MOST_BYTES = 4 * 2**20


def special_kind(mode: int) -> str:
    """What a file is, as a message says it: a file (a regular one), a folder, a FIFO, a socket,
    a device."""
    return (_("a file") if stat.S_ISREG(mode) else _("a folder") if stat.S_ISDIR(mode)
            else _("a FIFO (named pipe)") if stat.S_ISFIFO(mode)
            else _("a socket") if stat.S_ISSOCK(mode) else _("a device") if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else _("not a regular file"))


def read_given_file(path: Path | str, most: int) -> bytes:
    """The bytes of a small file a person names to kehu (an age identity file: ``--identity``,
    ``KEHU_IDENTITY``), refusing without waiting on it what is no regular file — a FIFO hung
    the command until someone wrote to it, ``/dev/zero`` was read until memory ran out — and
    a file over ``most`` bytes. Links are followed (the person chose the path). OSError for
    what the OS refuses; ``ValueError`` saying what is wrong for the rest."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(_("it is {what}, not a file").format(what=special_kind(info.st_mode)))
        data = os.read(fd, most + 1)
        if len(data) > most or info.st_size > most:
            raise ValueError(_("it is over {most} bytes, more than such a file holds").format(most=most))
        return data
    finally:
        os.close(fd)


def read_kept_json(path: Path) -> Any | None:
    """The JSON a file kehu keeps for itself holds, or None when it is not there or is no such
    file: a FIFO or a device put there (it hung every command, waiting on it), a file past
    :data:`KEPT_MOST_BYTES`, no JSON, or JSON nested past Python's stack (every command ended
    in "internal error"). Its keeper works the value out again and writes the file anew."""
    try:
        return json.loads(read_given_file(path, KEPT_MOST_BYTES))
    except (OSError, ValueError, RecursionError):  # UnicodeDecodeError and JSON's errors are ValueErrors
        return None
