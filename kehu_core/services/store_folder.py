"""What `kehu check` finds in the store's folder besides its records: a link, a FIFO, a socket or
a device, an unreadable file or folder, a git repository inside it, a private key (each of
which `kehu sync` would push or fail on), and two names a clone on macOS or Windows takes
for one. The records' own files are the index's to judge (``checking``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..case_twins import case_twin_problems
from ..errors import Problem
from ..i18n import _
from ..paths import PLANS_DIR
from ..store import CUSTOMERS_DIR
from ..yamlio import cannot_read, link_message, special_kind
from . import git_settings


def nested_repository_message() -> str:
    """What kehu says of a ``.git`` inside the store's folder (a ``kehu init``, a ``git clone``
    made there): ``git add -A`` commits the folder holding it as a submodule (a gitlink), which
    ``kehu sync`` pushed with exit 0 while every other clone's sync refuses to merge one."""
    return _("a git repository inside the store: kehu sync would commit its folder as a submodule, "
             "which every other clone refuses; move that folder out of the store")


#: what the walk of :func:`linked_or_special_files` leaves: git's and kehu's own state, and
#: the records, whose every file the index already judges (`kehu check` names a link there)
_NOT_WALKED = (".git", ".kehu", CUSTOMERS_DIR)


#: how a private key is written: age's (``age-keygen``, the identity kehu opens confidential
#: fields with) and PEM's (an OpenSSH, RSA, EC or PKCS#8 key, which age takes as an identity too)
_PRIVATE_KEY = re.compile(rb"AGE-SECRET-KEY-1[0-9A-Z]{20,}|-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_KEY_LOOKED_AT = 1 << 20  # bytes of a file looked at: a key file has a few hundred


def private_key_problem(root: Path, path: Path) -> Problem | None:
    """A file of the store's folder that holds a private key (``age-keygen -o key.txt`` run in
    the store's folder, where a rep works; an SSH key copied there), at the key's line, unless
    git ignores it (the user's own choice): `kehu check` said ok and `kehu sync` committed and
    pushed it, and every rep with the remote could then open every confidential field.
    Opened, never through a link nor waiting on a FIFO; its first MiB looked at."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return None  # unreadable: named as such; gone meanwhile: nothing to say
    try:
        head = os.read(fd, _KEY_LOOKED_AT)
    except OSError:
        return None
    finally:
        os.close(fd)
    found = _PRIVATE_KEY.search(head)
    if found is None:
        return None
    from . import gitops

    rel = path.relative_to(root).as_posix()
    if gitops.run(root, "check-ignore", "-q", "--", rel, check=False).returncode == 0:
        return None
    what = "AGE-SECRET-KEY-…" if found.group().startswith(b"AGE") else found.group().decode("ascii")
    return Problem(path, head.count(b"\n", 0, found.start()) + 1, _(
        "holds a private key ({what}): kehu sync would share it with the team; keep it outside the store's "
        "folder (--identity and KEHU_IDENTITY name it anywhere), or list it in .gitignore").format(what=what))


def linked_or_special_files(root: Path) -> list[Problem]:
    """Symbolic links, FIFOs, sockets and devices in the store's folder besides its records
    (``templates/`` a link to a folder outside, a template a link to ``/etc/passwd``, a link at
    the top): `kehu check` said ok, `kehu sync` pushed the link to every clone, and there each
    `kehu send` of the team failed on it. An ``lstat`` per entry; nothing is opened or followed."""
    problems = []
    names: list[str] = []  # every entry's path: two a clone on macOS or Windows takes for one
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue  # unreadable: `kehu check` names what it cannot read where it reads records
        for entry in entries:
            path = Path(entry.path)
            names.append(path.relative_to(root).as_posix())  # `Customers/` beside `customers/` too
            if folder == root and (entry.name in _NOT_WALKED or entry.name in git_settings.GIT_SETTINGS):
                continue  # git's files: git_file_problems
            if entry.name == ".git":  # (the store's own is skipped above)
                problems.append(Problem(path, 1, nested_repository_message()))
            elif entry.is_symlink():
                problems.append(Problem(path, 1, link_message(path)))
            elif (entry.is_dir(follow_symlinks=False) or entry.is_file(follow_symlinks=False)) and (
                    unreadable := cannot_read(path)) is not None:  # git cannot add it: sync failed
                problems.append(Problem(path, 1, unreadable))
            elif entry.is_dir(follow_symlinks=False):
                stack.append(path)
            elif entry.is_file(follow_symlinks=False):
                # the reps' plans (thousands over the years) are read as plans: no key is looked for there
                plans = folder != root and path.relative_to(root).parts[0] == PLANS_DIR
                if not plans and (secret := private_key_problem(root, path)) is not None:
                    problems.append(secret)
            else:
                mode = entry.stat(follow_symlinks=False).st_mode
                problems.append(Problem(path, 1, _("is {what}, not a file: kehu reads only regular files in a "
                    "store, and git cannot share it; remove it").format(what=special_kind(mode))))
    return problems + case_twin_problems(root, names)
