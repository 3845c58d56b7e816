"""git run in a store, as kehu runs it: in the store's folder, with kehu's identity where the
user has none, never another repository's (``GIT_DIR`` and the rest left out), refused before
it would wait on a FIFO in ``.git``. Below the store, which asks git too (a ledger's entry id,
``Store.git``, a killed sync put back: :mod:`kehu_core.sync_marker`);
:mod:`kehu_core.services.gitops` drives git's history, commits and merges with it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

from .errors import KehuError
from .i18n import _
from .paths import typed_path

# Commits made by kehu itself fall back to this identity when the user has none configured.
_FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "kehu",
    "GIT_AUTHOR_EMAIL": "kehu@localhost",
    "GIT_COMMITTER_NAME": "kehu",
    "GIT_COMMITTER_EMAIL": "kehu@localhost",
}


#: the clones found to have a git identity of their own (see git_env)
_identified: set[str] = set()


#: what tells git which repository, work tree or index to use instead of the one at the working
#: folder (as ``git rev-parse --local-env-vars`` lists them). Every git command of kehu is about
#: the store it runs in (``cwd=root``): set by a git hook of another repository kehu is run from,
#: a shell that exported it or a plugin, GIT_DIR made `kehu sync` commit the whole store into
#: that other repository (and push it to that one's remote).
_ELSEWHERE = ("GIT_DIR", "GIT_WORK_TREE", "GIT_IMPLICIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
              "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_PREFIX", "GIT_SHALLOW_FILE",
              "GIT_GRAFT_FILE", "GIT_NAMESPACE", "GIT_INTERNAL_SUPER_PREFIX")


def git_env(root: Path) -> dict[str, str]:
    """The environment every git of kehu in ``root`` runs with: this process's, without the variables
    that point git at another repository (``_ELSEWHERE``), with kehu's identity where the clone's
    user has none. :func:`run` and :func:`kehu_core.services.gitops.run_network` add theirs to it."""
    env = {name: value for name, value in os.environ.items() if name not in _ELSEWHERE}
    # asked once a clone and process when the user has an identity (a sync runs ~40 git
    # commands; a probe each doubled the processes); asked again while they have none, so
    # an identity set meanwhile (the TUI runs for hours) is used from then on
    key = f"{root}|{env.get('HOME')}|{env.get('GIT_CONFIG_GLOBAL')}"
    if key in _identified:
        return env
    # its bytes, whatever the locale: an address of 张三@例子.中国 under LC_ALL=C (no UTF-8 mode),
    # or one in GBK, was "internal error: UnicodeDecodeError" before every git command
    probe = subprocess.run(["git", "config", "user.email"], cwd=root, capture_output=True, check=False, env=env)
    if probe.returncode != 0 or not probe.stdout.strip():
        for key_, value in _FALLBACK_IDENTITY.items():
            env.setdefault(key_, value)
    else:
        _identified.add(key)
    return env


#: where each git's process id is noted before it runs, while a ``kehu sync`` fetches and merges
#: (:func:`kehu_core.sync_marker.begin` sets it): the next command knows which git a killed sync
#: left, and asks the system whether it still runs, without reading any process table
noted: Path | None = None

#: the note written by the process that becomes git, before it does (``exec`` keeps the id): noted
#: by kehu once git was started, a git that took index.lock before kehu wrote its id (kehu killed
#: in between, or while it wrote: an empty note) was not known, and its lock taken for a dead one's
_NOTE_THEN_GIT = '{ echo "$$" >"$0"; } 2>/dev/null; exec "$@"'


def path_said(out: str) -> str:
    """The path git printed on a line of its own: the line feed git adds taken off, and nothing
    else — a folder named with a space or a line feed at its end (``kehu init "shop⏎"``) is
    still itself, where ``strip()`` made it another folder ("internal error: ValueError").
    Named as this process names files (:func:`kehu_core.paths.typed_path`): git prints a store
    in 客户档案/ in UTF-8, which under ``LC_ALL=C`` with ``PYTHONUTF8=0`` names no file
    ("internal error: UnicodeEncodeError")."""
    return typed_path(out.removesuffix("\n"))


def run(root: Path, *args: str, check: bool = True, input: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``git ARGS`` in ``root`` (``env``: added to the environment)."""
    if shutil.which("git") is None:
        raise KehuError(_("git is not installed; kehu needs it for history and sharing"))
    refuse_special_git_files(root)
    # git names files by their bytes: a name that is not UTF-8 (a colleague's commit) comes back
    # as os.fsdecode gives it, never as a UnicodeDecodeError ending the command ("internal error")
    # each argument as the UTF-8 it is (paths.typed_path): under LC_ALL=C with PYTHONUTF8=0 a
    # commit's message of 张三, or a path in 客户档案/, was "internal error: UnicodeEncodeError"
    command, environment = ["git", *map(typed_path, args)], {**git_env(root), **(env or {})}
    note, shell = noted, shutil.which("sh") if noted is not None and os.name != "nt" else None
    if note is not None and shell is not None:
        result = subprocess.run([shell, "-c", _NOTE_THEN_GIT, str(note), *command], cwd=root,
                                capture_output=True, encoding="utf-8", errors="surrogateescape",
                                env=environment, check=False, input=input)
        result.args = command
    elif note is None:
        result = subprocess.run(command, cwd=root, capture_output=True, encoding="utf-8", errors="surrogateescape",
                                env=environment, check=False, input=input)
    else:  # no POSIX shell (Windows): the id noted as soon as git has started
        with subprocess.Popen(command, cwd=root, stdin=subprocess.PIPE if input is not None else None,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8",
                              errors="surrogateescape", env=environment) as process:
            with contextlib.suppress(OSError):
                note.write_text(str(process.pid), encoding="utf-8")
            try:
                out, err = process.communicate(input)
            except BaseException:
                process.kill()
                raise
        result = subprocess.CompletedProcess(command, process.returncode, out, err)
    if check and result.returncode != 0:
        # git's lines each a line of the message: joined in one, its line feeds were shown
        # escaped ("error: gpg failed to sign the data\nfatal: …"), after a commit's whole message
        first, *more = (result.stderr.strip() or result.stdout.strip()).splitlines() or [""]
        raise KehuError(_("git {join} failed: {why}").format(join=_shown_command(args), why=first),
                        *(f"  {line}" for line in more))
    return result


def _shown_command(args: tuple[str, ...]) -> str:
    """``git ARGS`` as a failure names it: a commit's message (``-m TEXT``) and a long list of
    paths after ``--`` are left out, which filled the message with lines the user wrote."""
    shown: list[str] = []
    for i, arg in enumerate(args):
        if i and args[i - 1] == "-m":
            shown.append("…")
        elif arg == "--" and len(args) - i > 2:
            return " ".join([*shown, "--", "…"])
        else:
            shown.append(arg)
    return " ".join(shown)


def head(root: Path) -> str | None:
    """The commit HEAD names, or None on an unborn branch."""
    result = run(root, "rev-parse", "--verify", "--quiet", "HEAD", check=False)
    return result.stdout.strip() or None


def ref_exists(root: Path, ref: str) -> bool:
    return run(root, "rev-parse", "--verify", "--quiet", ref, check=False).returncode == 0


def refuse_special_git_files(root: Path) -> None:
    """KehuError when a file every git command opens is a FIFO, a socket or a device
    (:func:`kehu_core.index.freshness.git_would_wait`), before git is run and waits on it."""
    from .index.freshness import git_would_wait

    found = git_would_wait(root)
    if found is not None:
        raise KehuError(_("{path}: {problem}").format(path=found[0], problem=waiting_problem(found[1])))


def waiting_problem(mode: int) -> str:
    """What is wrong with a file git opens that is of ``mode``, a FIFO, a socket or a device."""
    from .smallfiles import special_kind

    return _("is {what}, not git's file; git would wait on it: put the repository's own file back (or clone the "
             "store again)").format(what=special_kind(mode))
