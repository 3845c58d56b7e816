"""Editing a customer file in ``$EDITOR``, safely.

The editor works on a copy. The copy is validated exactly as the store validates the real
file; only a valid copy replaces the record, atomically, under the store lock, and only if
nobody changed the record while the editor was open. So an invalid edit or a clash never
reaches the store, and the user's text is never lost (the copy stays until it is saved or
abandoned).

Confidential fields (kehu_core.confidential) the user's key opens are put in the copy in
plain, and encrypted again when it is saved (a value left as it was keeps its old encrypted
line, so an unchanged field does not churn); those it cannot open stay encrypted lines. Used
by ``kehu edit ID`` and the TUI's ``E`` key.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import held_folders
from ..errors import ConflictError, KehuError, NotFound, Problem, RecordError, os_error_text, shown_path
from ..i18n import _
from ..yamlio import (
    YamlFileError,
    atomic_write,
    dump_roundtrip,
    line_of,
    load_roundtrip,
    read_text,
    roundtrip_yaml,
    to_plain_yaml_value,
)

if TYPE_CHECKING:
    from ..store import Store


#: how the folder of an edit's copy is named (a temp folder's, or in the store's ``.kehu/``)
COPY_PREFIX = "kehu-edit-"

#: the environment variable that says the editor named needs no terminal for its input
#: (a wrapper of vim that opens a window of its own, ``vim -es`` reading commands from a file)
NO_TTY = "KEHU_EDITOR_NO_TTY"

#: editors (by their program's name) that draw in the terminal and read keys from kehu's input:
#: with no terminal there (a script, a cron job, a pipe) they wait for ever
_TERMINAL_EDITORS = frozenset({
    "vi", "vim", "nvim", "view", "vimdiff", "nvi", "elvis", "vis", "nano", "pico", "rnano", "micro",
    "joe", "jmacs", "jpico", "jstar", "jed", "ne", "mg", "zile", "mcedit", "hx", "helix", "kak",
    "kakoune", "dte", "tilde", "amp", "emacs-nox"})


#: what only a shell reads in $EDITOR (``~/bin/my-wrapper``, ``$HOME/...``, a pipe, a glob): such
#: a value is run by ``sh -c``, as git runs it; a plain one (``code --wait``) as its words
_SHELL_ONLY = frozenset("$`~|&;<>()*?[")

#: ``NAME=value`` before a program (``TERM=xterm-256color vim``): the shell's, for that program
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def _program(words: list[str]) -> list[str]:
    """The program $EDITOR starts and its arguments: past ``NAME=value`` and ``env`` (and its
    options and assignments), so ``env TERM=xterm vim`` is vim."""
    rest = list(words)
    while rest:
        if _ASSIGNMENT.match(rest[0]):
            rest.pop(0)
        elif os.path.basename(rest[0]) == "env" and len(rest) > 1:
            rest.pop(0)
            while rest and rest[0].startswith("-"):
                option = rest.pop(0)
                if option in ("-u", "-C", "--unset", "--chdir") and rest:
                    rest.pop(0)  # its value
        else:
            break
    return rest


def _needs_terminal(command: list[str]) -> bool:
    """Whether ``command`` starts an editor that draws in the terminal: vi, vim (``vim.basic``
    too), nano, ...; emacs unless it has a display to open a window on."""
    name = os.path.basename(command[0]).lower().removesuffix(".exe") if command else ""
    if name == "emacs":
        return any(flag in command for flag in ("-nw", "-t", "--no-window-system")) or not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return name in _TERMINAL_EDITORS or name.split(".")[0] in ("vi", "vim", "nvim", "nano")


def editor_command() -> list[str]:
    """$VISUAL, else $EDITOR, else vi. An editor that draws in the terminal (vi, vim, nano, ...:
    :func:`_needs_terminal`) only with a terminal for its input: from a script, a cron job or a
    pipe it waited for ever on input that never came (KehuError, unless ``KEHU_EDITOR_NO_TTY=1``
    says it needs none); a script or a graphical editor that waits (``code --wait``) runs anyway."""
    variable = "VISUAL" if os.environ.get("VISUAL") else "EDITOR"
    raw = os.environ.get(variable)
    if raw is None or not raw.strip():
        if not _input_is_terminal():
            raise KehuError(_("no editor: neither $VISUAL nor $EDITOR is set, and vi, used then, needs a terminal "
                              "for its input, which here is closed, a file or a pipe; set EDITOR (a graphical "
                              "editor that waits, as `code --wait`) or run kehu edit in a terminal"))
        raw = "vi"
    try:
        words = shlex.split(raw)
    except ValueError as exc:  # a quote left open: a shell refuses it too (git: "unterminated")
        raise KehuError(_("${variable} ({editor}) cannot be read as a command: {reason}; close its quotes").format(
            variable=variable, editor=repr(raw), reason=exc)) from None
    if _needs_terminal(_program(words)) and not _input_is_terminal() and os.environ.get(NO_TTY) != "1":
        raise KehuError(_("the editor ${variable} names ({editor}) needs a terminal for its input, which here is "
                          "closed, a file or a pipe, so it would wait for ever; run kehu edit in a terminal, set "
                          "{variable} to a graphical editor that waits (as `code --wait`) or a script, or set "
                          "{no_tty}=1 if this editor needs no terminal").format(
                              variable=variable, editor=repr(raw), no_tty=NO_TTY))
    if os.name == "posix" and (_SHELL_ONLY.intersection(raw) or (words and _ASSIGNMENT.match(words[0]))):
        # a shell's command (git runs $EDITOR so): the file is its "$@", never spliced into it
        return ["/bin/sh", "-c", f'{raw} "$@"', raw]
    return words


def run_editor_on(command: list[str], path: Path) -> int:
    """``command`` (:func:`editor_command`) run on ``path``; its exit status. A script with no
    ``#!`` line (a wrapper written as a few shell lines) is run by ``sh``, as a shell and git
    run it: exec refused it ("Exec format error")."""
    try:
        return subprocess.run([*command, str(path)], check=False).returncode
    except OSError as exc:
        if exc.errno != errno.ENOEXEC or os.name != "posix":
            raise
    script = shutil.which(command[0]) or command[0]  # sh reads a script named, not one on $PATH
    return subprocess.run(["/bin/sh", script, *command[1:], str(path)], check=False).returncode


def _input_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except ValueError:  # closed
        return False


def _copies_folder(store: Store) -> Path:
    """Where an edit's copy is made: the temp folder ($TMPDIR), unless that is in the store —
    then `customers/kehu-edit-XXXX/…` lay among the records, which `git status` and a `kehu
    sync` meanwhile took for a new file of the store — when it is the store's own state
    folder (``.kehu/``), which sync never commits."""
    temp = Path(tempfile.gettempdir())
    if temp.resolve().is_relative_to(store.root.resolve()):
        return store.state_dir
    return temp


@dataclass
class EditSession:
    """A copy of one customer's file being edited, and the version it started from."""

    store: Store
    customer_id: str
    version: str
    original: str
    copy: Path
    #: confidential fields put in the copy in plain: field → (plain value, its sealed text)
    opened: dict[str, tuple[Any, str]] = field(default_factory=dict)
    owner: str | None = None  # the owner when the copy was made (a new one: encrypt again)
    held: held_folders.HeldFolder | None = None  # the copy's folder, held while the edit runs

    @classmethod
    def start(cls, store: Store, customer_id: str) -> EditSession:
        # no such customer (merged away in another window), a link, a broken file: said before
        # the editor opens, by every door (the TUI's `E` read a gone file and ended the app)
        store.get(customer_id)
        editor_command()  # no editor to open: said before a copy is made
        path = store.customer_file(customer_id)
        text = path.read_text(encoding="utf-8")
        version = store.file_version(customer_id)
        text, opened, owner = _open_confidential(store, customer_id, text)
        # The copy sits in a folder named after the id (what the editor shows); it is validated
        # as if it were at the record's place in the store (problems()). An edit killed (SIGKILL,
        # a closed terminal's SIGHUP) left its copy for good, confidential values in plain, in
        # .kehu/ or the temp folder: the folder is held while this process runs, and each edit
        # first removes those of edits no longer running.
        where = _copies_folder(store)
        for place in {where, store.state_dir}:
            held_folders.sweep(place, COPY_PREFIX)
        held = held_folders.make(where, COPY_PREFIX)
        try:
            folder = held.path / customer_id
            folder.mkdir()
            copy = folder / path.name
            copy.write_text(text, encoding="utf-8")
        except BaseException:
            held.remove()
            raise
        return cls(store, customer_id, version, text, copy, opened, owner, held)

    def run_editor(self) -> int:
        if not os.path.lexists(self.copy):  # the editor removed it last time: open the record again
            self.copy.write_text(self.original, encoding="utf-8")
        return run_editor_on(editor_command(), self.copy)

    def _read_copy(self) -> str:
        try:
            return read_text(self.copy)
        except FileNotFoundError:  # "internal"-looking "No such file or directory" of a temp path
            raise YamlFileError(Problem(self.copy, 1, _(
                "the editor left no file (it removed or renamed the copy); nothing was saved"))) from None

    @property
    def text(self) -> str:
        """The copy as the editor left it, read as a record is (``yamlio.read_text``): an editor
        saving UTF-16 or GBK (Windows Notepad) ended `kehu edit` in "internal error:
        UnicodeDecodeError", and one leaving a FIFO in its place made kehu wait for ever.
        YamlFileError: such a copy, which :meth:`problems` names, and none at all."""
        return self._read_copy()

    @property
    def changed(self) -> bool:
        try:
            return self.text != self.original
        except YamlFileError:  # not text kehu reads: a change, which problems() names
            return True

    @contextlib.contextmanager
    def _text_kept(self) -> Iterator[None]:
        """Whatever fails once the editor has closed (the copy read, judged as the store would,
        written, indexed) leaves the copy for good and says where: a full disk met by the index
        as the copy was judged (its log made anew) said only "No space left on device", the
        edit lost with the copy removed. An OS error (the full disk, a read-only store) is said
        as one line naming its file and the copy; any other failure leaves the copy all the same."""
        try:
            yield
        except OSError as exc:
            self.keep()
            where = f"{shown_path(exc.filename)}: " if exc.filename else ""
            raise KehuError(_("{error}; your text is kept in {copy}").format(
                error=where + os_error_text(exc), copy=self.copy)) from None
        except Exception as exc:
            self.keep()
            from ..index.connection import failure_text

            said = failure_text(exc)
            if said is not None:  # the index's full disk met outside its own methods
                raise KehuError(_("{error}; your text is kept in {copy}").format(
                    error=said, copy=self.copy)) from None
            raise

    def problems(self) -> list[str]:
        """What is wrong with the edited copy, as ``path:line: message`` of the real file."""
        with self._text_kept():
            return self._problems()

    def _problems(self) -> list[str]:
        place = self.store.customer_file(self.customer_id)
        real = self.store.rel(place)
        try:
            self._read_copy()
        except YamlFileError as exc:
            return [f"{real}:{exc.problem.line}: {exc.problem.message}"]
        try:
            customer = self.store.read_customer_file(self.copy, place=place)
        except RecordError as exc:
            return [f"{real}:{p.line}: {p.message}" for p in exc.problems]
        return [f"{real}:{p.line}: {p.message}" for p in self._rule_problems(place, customer)]

    def _rule_problems(self, place: Path, customer: Any) -> list[Problem]:
        """What every other door refuses beyond the file's own validation (``customer set``,
        the TUI's form): a referrer that is nobody or closes a loop, a plugin's
        ``validate_customer`` rule (a field named ``tier``, which kehu computes). ``kehu check``
        reports these, so an edit that made one was saved and then failed the check. As with
        ``customer set``, a problem the record already had is left for ``kehu check``."""
        store = self.store
        loaded: list[Any] = []

        def document() -> Any:  # the copy's round-trip document, for a field's line
            if not loaded:
                loaded.append(load_roundtrip(self.copy))
            return loaded[0]

        out: list[Problem] = []
        try:
            before = store.get(self.customer_id)
        except RecordError:  # broken on disk meanwhile: judge the copy alone
            before = None
        except NotFound:  # merged into another or deleted meanwhile: the edit has no record to go to
            self.keep()
            raise ConflictError(_("{id} was deleted (or merged into another customer) by someone else while you "
                                  "edited it; your text is kept in {copy}").format(
                id=self.customer_id, copy=self.copy)) from None
        referrer = getattr(customer, "referrer", None)
        if referrer and referrer != getattr(before, "referrer", None):
            problem = store.referrer_problem(referrer, customer.id)
            if problem is not None:
                out.append(Problem(place, line_of(document(), ["referrer"]), problem))
        old = {p.message for p in store.door_problems(place, before)} if before is not None else set()
        # judged as it is saved: a plugin's field as the plugin keeps it (a tier typed as shown)
        kept, _changes = store.kept_customer(customer, _changed(customer, before))
        out.extend(p for p in store.door_problems(place, kept, document)
                   if p.message not in old)
        return out

    def save(self) -> None:
        """Replace the record with the copy; refused (ConflictError) if it changed meanwhile."""
        if self.problems():
            raise RecordError([])
        with self._text_kept():
            self._save()
        self.discard()

    def _save(self) -> None:
        store = self.store
        path = store.customer_file(self.customer_id)
        with store.lock():
            if store.file_version(self.customer_id) != self.version:
                self.keep()
                raise ConflictError(
                    _("{path} was changed by someone else while you edited it; your text is kept in {copy}").format(
                        path=store.rel(path), copy=self.copy)
                )
            # written as every door writes a profile: a plugin's field as the plugin keeps it
            # (Store.door_write), the rest as the editor left it
            before = store.get(self.customer_id)
            customer = store.read_customer_file(self.copy, place=path)
            _kept, text = store.door_write(path, customer, self.text, old=before,
                                           changed=_changed(customer, before))
            was = path.read_bytes()
            # a read-only store, a full disk: said with the copy kept (_text_kept)
            atomic_write(path, _seal_confidential(store, text, self.opened, self.owner))
            from ..index import IndexFailure
            from ..store.undo_on_error import written_back

            try:
                store.index.refresh_paths([path])
            except (OSError, IndexFailure):  # a full disk met by the index: saved, yet exit 1
                written_back(path, was)  # as every door's write the index cannot note: not made
                raise

    def discard(self) -> None:
        if self.held is not None:
            self.held.release()
        shutil.rmtree(self.copy.parent.parent, ignore_errors=True)

    def keep(self) -> None:
        """Leave the copy for good: the user is told where the text is kept, so no later edit
        removes it as an abandoned edit's."""
        if self.held is not None:
            self.held.keep()


def _changed(customer: Any, before: Any) -> set[str] | None:
    """The fields the edit gave a value other than the record's (None: no record to compare)."""
    if before is None:
        return None
    return {key for key in type(customer).model_fields if getattr(customer, key, None) != getattr(before, key, None)}


def _open_confidential(store: Store, customer_id: str,
                       text: str) -> tuple[str, dict[str, tuple[Any, str]], str | None]:
    """``text`` with the sealed values the user's key opens in plain (none without a key),
    those values, and the customer's owner."""
    from .. import confidential

    customer = store.get(customer_id)
    if not customer.sealed or not confidential.has_identity(store):
        return text, {}, customer.owner
    opened = {}
    for name, sealed in customer.sealed.items():
        try:
            opened[name] = (confidential.open_sealed(store, sealed), sealed)
        except confidential.Locked:
            continue
    if not opened:
        return text, {}, customer.owner
    doc = roundtrip_yaml().load(text)
    for name, (value, _sealed) in opened.items():
        doc[name] = to_plain_yaml_value(value)
    return dump_roundtrip(doc, like=text), opened, customer.owner


def _seal_confidential(store: Store, text: str, opened: dict[str, tuple[Any, str]], owner: str | None) -> str:
    """The edited text with each confidential field's plain value encrypted: an opened value
    left as it was gets its former encrypted text back, a new one is encrypted to the readers
    of the customer's (new) owner."""
    fields = set(store.config.confidential.fields)
    if not fields and not opened:
        return text
    from .. import confidential

    doc = roundtrip_yaml().load(text)
    changed = False
    for name in list(doc):
        value = doc[name]
        if confidential.is_sealed(value) or value in (None, [], ""):
            continue
        plain = _plain(value)
        if name in opened and opened[name][0] == plain and doc.get("owner") == owner:
            doc[name] = opened[name][1]
        elif name in fields:
            doc[name] = confidential.seal(store, doc.get("owner"), plain)
        else:
            continue
        changed = True
    return dump_roundtrip(doc, like=text) if changed else text


def _plain(value: Any) -> Any:
    """A ruamel value as the JSON-able value a sealed text holds."""
    import json

    return json.loads(json.dumps(value, ensure_ascii=False, default=str))

