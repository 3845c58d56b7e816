"""Where an export may write (``kehu export``, ``kehu reminders --ics``, ``kehu visits cards``):
never over the store's records, kehu.yaml or git's files, nor (in plain) confidential fields
inside the store; and how it writes: a temporary file put in place, or into a device or pipe."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, BinaryIO

from .. import held_folders
from ..case_twins import twin_key
from ..discovery import find_store
from ..errors import KehuError, os_error_text
from ..i18n import N_, _
from ..paths import PLANS_DIR, TEMPLATES_DIR, empty_path_problem, typed_path
from ..yamlio.atomic import naming, new_file_mode

if TYPE_CHECKING:
    from ..store import Store

def check_target(store: Store, out: str | Path, option: str = N_("OUT"), *, plain_secrets: bool = False) -> Path:
    """Where an export (``kehu export``, ``kehu reminders --ics``) may write, or KehuError
    saying why not: the folder must exist (kehu creates none: a typo would hide the file), the
    path must not be a folder, and nothing inside the store's records (``customers/``), its
    ``kehu.yaml``, its message templates (``templates/``), the reps' visit plans (``visits/``),
    its ``.git``/``.kehu`` or git's files
    (``.gitignore`` …) is ever overwritten by an export,
    nor those of the store the target lies in, if that is another.
    ``plain_secrets``: the output holds confidential fields in plain (``--reveal``, cards made
    with the user's key): not anywhere in the store's folder, which ``kehu sync`` shares."""
    if str(out) == "-":  # standard output, as every command-line tool reads it: a file named "-" was
        # written in the working folder (the store's, whose every file `kehu sync` commits and shares)
        return STDOUT
    if (empty := empty_path_problem(str(out))) is not None:  # "" read as the current folder: "OUT : is a folder"
        raise KehuError(f"{_(option)} {empty}")
    target = Path(typed_path(str(out))).expanduser()  # LC_ALL=C: 客户.csv as typed
    folder = target.parent
    option = _(option)  # a placeholder (OUT, as the help shows it: 输出文件) or an option (--ics)
    if str(out).endswith(("/", os.sep)) and not target.is_dir():  # a folder meant ("new/"): Path drops the /
        why = _("is not a folder") if target.exists() else _("does not exist; create it first")
        raise KehuError(_("{option} {out}: the folder {folder} {why}").format(
            option=option, out=out, folder=out, why=why))
    if not folder.is_dir():
        why = _("is not a folder") if folder.exists() else _("does not exist; create it first")
        raise KehuError(_("{option} {out}: the folder {folder} {why}").format(
            option=option, out=out, folder=folder, why=why))
    if target.is_dir():
        raise KehuError(_("{option} {out}: is a folder; name a file in it").format(option=option, out=out))
    if target.is_socket():  # (a link to one too) opening it is the OS's "No such device or address"
        raise KehuError(_("{option} {out}: is a socket, not a file kehu writes; name a file").format(
            option=option, out=out))
    # the target, and where it leads when it is a link (written through, never replaced:
    # write_target), so a link to a store's kehu.yaml is refused as the file itself is
    places = [folder.resolve() / target.name]
    if target.is_symlink():
        places.append(target.resolve())
    for resolved in places:
        _refuse_store_file(store, resolved, out, option, plain_secrets)
        _refuse_identity_file(store, resolved, out, option)
        _refuse_logins_file(store, resolved, out, option)
    return target


def _refuse_logins_file(store: Store, resolved: Path, out: str | Path, option: str) -> None:
    """kehu.yaml's ``serve: htpasswd:`` file, the logins of `kehu serve` (in the store's folder,
    as the docs' example has it, or anywhere): `kehu export --format csv users.htpasswd` replaced
    it by the export, exit 0, and every rep's phone was refused from then on."""
    settings = store.config.serve
    if settings is None:
        return
    try:
        same = resolved.exists() and os.path.samefile(resolved, settings.htpasswd_file(store.root))
    except OSError:  # not there, or unreadable: `kehu serve` says so where it reads it
        same = False
    if same:
        raise KehuError(_("{option} {out}: is kehu serve's logins file (serve: htpasswd: in kehu.yaml), the "
                          "password hashes of the reps' phones; write the export elsewhere").format(
                              option=option, out=out))


def _refuse_identity_file(store: Store, resolved: Path, out: str | Path, option: str) -> None:
    """The identity file kehu was given (``--identity``, ``KEHU_IDENTITY``): the user's private
    key, which opens the confidential fields. `kehu export … key.txt` (its path typed twice, or
    completed by the shell) replaced it by the export, exit 0, and with it every field it opened."""
    from ..confidential import identity_file

    given = identity_file(store)
    try:
        same = given is not None and resolved.exists() and os.path.samefile(resolved, given)
    except OSError:  # the identity file unreadable or gone: said where it is read
        same = False
    if same:
        raise KehuError(_("{option} {out}: is your identity file (--identity, KEHU_IDENTITY), the key that opens "
                          "the confidential fields; write the export elsewhere").format(option=option, out=out))


def _refuse_store_file(store: Store, resolved: Path, out: str | Path, option: str, plain_secrets: bool) -> None:
    # the store worked on, and the one the target is in if that is another (`kehu --store A
    # export kehu.yaml` run in store B's folder wrote a CSV over B's kehu.yaml, exit 0)
    roots = [store.root.resolve()]
    if (other := find_store(resolved.parent)) is not None and other not in roots:
        roots.append(other)
    # as a file system that ignores case sees them (macOS, Windows: `KEHU.YAML` is kehu.yaml there,
    # `Customers/x.csv` a file among the records; on Linux it was written beside them, a name
    # `kehu check` then calls a case twin, which stopped every sync)
    seen = PurePath(twin_key(str(resolved)))
    for root in roots:
        top = PurePath(twin_key(str(root)))
        # git's files of the store (.gitattributes, .gitignore, .gitmodules) say how every clone
        # merges and what it shares: a CSV over .gitignore put .kehu/ into the next sync's commit
        git_file = seen.parent == top and seen.name.startswith(".git")
        if git_file or seen == top / "kehu.yaml" or any(
            seen.is_relative_to(top / inside)
            for inside in ("customers", TEMPLATES_DIR, PLANS_DIR, ".git", ".kehu")
        ):
            # templates/: the store's message templates, which `kehu sync` shares and `kehu send`
            # renders for every rep (a CSV over greet.j2 was the team's birthday greeting); visits/:
            # the reps' plans (a CSV over a rep's day stopped `kehu visits plan` for them, exit 0)
            raise KehuError(_("{option} {out}: is inside the store's records ({root}); write exports outside "
                "customers/, templates/, visits/, kehu.yaml, .kehu and git's files (.git, .gitattributes, "
                ".gitignore)").format(
                option=option, out=out, root=root))
        if plain_secrets and resolved.is_relative_to(root):
            # `kehu sync` commits every file of the store's folder: a revealed export written there
            # (the folder kehu is run in) was pushed, its confidential fields in plain, to everyone
            raise KehuError(_("{option} {out}: holds confidential fields in plain, and is inside the store "
                "({root}), whose files `kehu sync` shares with everyone; write it outside the store").format(
                option=option, out=out, root=root))


def shared_note(store: Store, target: Path) -> str | None:
    """What to tell the user of an export written in the store's folder (not its records, which
    :func:`check_target` refuses): `kehu sync` commits every file there, so `kehu export
    --format csv all.csv` run in the store was pushed to every clone. None elsewhere."""
    if target == STDOUT:
        return None
    try:
        inside = (target.parent.resolve() / target.name).is_relative_to(store.root.resolve())
    except OSError:
        return None
    if not inside:
        return None
    return _("note: {out} is in the store's folder, and `kehu sync` shares every file there with the team; "
             "write it outside the store, or add it to .gitignore, to keep it to yourself").format(out=target)


#: the target ``-``: the export goes to standard output (:func:`write_target`)
STDOUT = Path("-")


def write_target(out: Path, write: Callable[[Path], int]) -> int:
    """Run ``write(path)`` on a temporary file next to ``out``, then put it in ``out``'s place:
    a failed export leaves no half-written file and the old one as it was. The file gets the
    mode a new file gets from the umask (:func:`kehu_core.yamlio.new_file_mode`).

    ``out`` that is a device or a pipe (``/dev/stdout``, a FIFO, ``/dev/null``) is written into,
    never replaced: a rename over it would put a regular file in the place of ``/dev/null``
    (as root, for every program on the machine). Nor is a symbolic link: ``/dev/stdout`` is
    one, to ``/proc/self/fd/1``, and with the output sent to a file (``> out.csv``) it named a
    regular file, so the export was renamed over ``/dev/stdout`` itself, which was a file from
    then on for every program on the machine (as root); a link is written through, as any
    program writes to it. :data:`STDOUT` (``-``) is this process's standard output as it is
    (``>> log.csv`` appends, as it did not when ``/dev/stdout`` was opened anew)."""
    if out == STDOUT:
        return _write_through(out, write, into=sys.stdout.buffer)
    if out.is_symlink() or _is_special(out):
        return _write_through(out, write)
    # a hidden folder named as every temporary of kehu's is (`.*.tmp`, which the store's
    # .gitignore leaves out), holding the file under the export's own name (a writer may
    # choose its format by the suffix): an export killed half-way in the store's folder
    # (SIGTERM, the OOM killer, a power cut) left `.all.csv.k2j3l4.csv`, which the next
    # `kehu sync` committed and pushed to the team. Held while the export runs: one killed
    # left it, customers' names and phones, for good; the next export to the path removes it.
    held_folders.sweep(out.parent, f".{out.name}.")
    try:
        held = held_folders.make(out.parent, f".{out.name}.", suffix=".tmp")
    except OSError as exc:  # a folder that cannot be written: name the export, not a temporary
        raise naming(exc, out) from None
    tmp = held.path / out.name
    try:
        count = _written(write, tmp, out)
        os.chmod(tmp, new_file_mode())
        os.replace(tmp, out)
    finally:
        held.remove()
    return count


def _is_special(out: Path) -> bool:
    """Whether ``out`` (a link followed) exists and is no regular file: a device, a FIFO, a socket."""
    try:
        mode = os.stat(out).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _write_through(out: Path, write: Callable[[Path], int], into: BinaryIO | None = None) -> int:
    """Write the export to a private temporary file, then copy its bytes into ``out`` (a device,
    a pipe or a link, opened as it is: a FIFO waits for its reader, as with any program writing
    to it), or into the stream ``into``."""
    temp = Path(tempfile.gettempdir())
    held_folders.sweep(temp, _THROUGH_PREFIX)  # exports killed half-way left theirs for good
    held = held_folders.make(temp, _THROUGH_PREFIX)
    try:
        tmp = held.path / f"export{out.suffix}"
        count = _written(write, tmp, out)
        try:
            if into is not None and (fd := _descriptor(into)) is not None:
                _copy_to_descriptor(tmp, fd)
                return count
            sink = open(out, "wb") if into is None else contextlib.nullcontext(into)  # noqa: SIM115 - closed by with
            with open(tmp, "rb") as source, sink as target:
                while chunk := source.read(1 << 16):
                    target.write(chunk)
                target.flush()
        except BrokenPipeError:  # `/dev/stdout` (a pipe) whose reader stopped reading (`| head -1`):
            pass  # as for `-`, the reader's choice; was exit 1 with nothing said (click's EPIPE rule)
        except OSError as exc:  # /dev/full: "No space left on device", named as the user wrote it
            raise naming(exc, out) from None
    finally:
        held.remove()
    return count


_THROUGH_PREFIX = "kehu-export-"


def _descriptor(stream: BinaryIO) -> int | None:
    """The descriptor under ``stream`` (standard output), its buffer written out first; None for
    a stream of none (a test's)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return None
    stream.flush()
    return fd


def _copy_to_descriptor(tmp: Path, fd: int) -> None:
    """``tmp``'s bytes written to ``fd`` itself, so a write that fails (``> /dev/full``, a full
    disk) fails here: through ``sys.stdout`` the failure was kept for the command's end
    (``cli.argtext``), and `kehu export … -` said "wrote 1 rows to -" before it said the
    output could not be written. Now it says only that, exit 1 (a reader that stopped
    reading, EPIPE, is the reader's choice, as before)."""
    with open(tmp, "rb") as source:
        while chunk := source.read(1 << 16):
            view = memoryview(chunk)
            while view:
                try:
                    view = view[os.write(fd, view):]
                except InterruptedError:
                    continue
                except BrokenPipeError:
                    raise
                except OSError as exc:
                    raise KehuError(_("the standard output could not be written: {error}; the export written "
                                      "there is cut short").format(error=os_error_text(exc))) from None


def _written(write: Callable[[Path], int], tmp: Path, out: Path) -> int:
    """``write(tmp)``, an OS error met while writing (a full disk: "No space left on device",
    which the writer's ``write`` raises naming no file) named as ``out``, the file the user
    asked for: before, "kehu: No space left on device", no path at all."""
    try:
        return write(tmp)
    except OSError as exc:
        if exc.filename is None or exc.filename == str(tmp):
            raise naming(exc, out) from None
        raise
