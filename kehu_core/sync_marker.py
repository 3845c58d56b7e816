"""A ``kehu sync`` killed half-way (``kill -9``, a power cut, the OOM killer) is put back by the
next command.

Git's merge writes the merged files into the working tree, runs the ``pre-merge-commit`` hook
and only then writes MERGE_HEAD and the merge commit. A sync killed in that window (or while
kehu's merge driver ran, or between the merge and its check and push) left the colleague's
changes in the working tree with no merge in progress, and the next sync committed them as this
clone's own edit: a change the colleague had taken back since (``kehu undo``) came back for
the whole team.

So the sync writes ``.kehu/sync-in-progress`` (HEAD before it, the commit it made of the
user's edits, the remote branch) before it fetches and merges, and removes it however it ends,
but for a kill. The next command that takes the store's lock (every sync and write; ``kehu
check`` and the others that open the store take it to do this) finds the marker of a sync that
is not running (the lock is free) and puts the clone back as it was before that sync — HEAD,
no merge, the user's edits uncommitted — and says so; a sync killed after its push, whose
commits the remote holds, is left as it is. A sync killed while git wrote the merged files
(git's index not yet written) left the colleague's new files untracked and git's
``index.lock``: the stale lock is removed (the killed sync's last git no longer runs: see
:func:`_stale_index_lock`) and so are exactly those files (untracked, not in the commit the sync
began from, the remote's content byte for byte).
The store's lock calls it, so it sits below the store and the services (as
:mod:`kehu_core.gitrun`, the only git it runs); ``services.sync`` writes and removes the marker.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from . import gitrun
from .errors import KehuError
from .i18n import _
from .paths import SYNC_GIT, SYNC_MARKER

MARKER = SYNC_MARKER
#: where the working tree a killed sync left is kept when the clone is put back
KEPT_REF = "refs/kehu/killed-sync"


class PutBackFailed(KehuError):
    """A killed sync's clone could not be put back (git refused: why is said); its marker kept."""


def put_back(root: Path, start: str | None, committed: str | None) -> None:
    """The clone as before a sync: HEAD ``start``, no merge under way, the edits the sync
    committed (``committed``) back in the working tree uncommitted (files that commit added are
    untracked again). An unborn branch (``start`` None): nothing to go back to but the files."""
    if start is None:
        return
    gitrun.run(root, "merge", "--abort", check=False)
    gitrun.run(root, "reset", "-q", "--hard", committed or start)
    if committed:
        gitrun.run(root, "reset", "-q", start)


def begin(state: Path, start: str | None, committed: str | None, tracking: str) -> None:
    """Write the marker of a sync about to fetch and merge (best effort: a store whose state
    folder cannot be written syncs as before)."""
    from .yamlio.atomic import atomic_write

    with contextlib.suppress(OSError):
        atomic_write(state / MARKER, json.dumps({"start": start, "committed": committed,
                                                 "tracking": tracking}) + "\n")
    gitrun.noted = state / SYNC_GIT  # each git the sync runs, before it runs (a few bytes, not synced)


def end(state: Path) -> None:
    gitrun.noted = None
    with contextlib.suppress(OSError):
        (state / MARKER).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        (state / SYNC_GIT).unlink(missing_ok=True)


def left(state: Path) -> bool:
    """Whether a sync's marker is there (a sync running now, or one killed)."""
    return (state / MARKER).is_file()


def recover(root: Path, state: Path) -> str | None:
    """Call with the store's lock held: a marker there is a killed sync's. Put the clone back as
    it was before that sync, unless its push landed; remove the marker. What was done, in a
    line for the user, or None when there was no marker."""
    path = state / MARKER
    try:
        said = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        said = None
    if not isinstance(said, dict) or not all(isinstance(said.get(k), (str, type(None)))
                                             for k in ("start", "committed", "tracking")):
        end(state)
        return _("kehu: a `kehu sync` was stopped before it finished, and its note of where it began ({path}) "
                 "cannot be read, so this clone is as that sync left it: `git status` and `git log` show "
                 "it").format(path=path)
    start, committed, tracking = said.get("start"), said.get("committed"), said.get("tracking") or ""
    head = gitrun.head(root)
    pushed = bool(head and tracking and head != start and gitrun.run(
        root, "merge-base", "--is-ancestor", head, tracking, check=False).returncode == 0)
    if pushed or start is None:
        end(state)
        return None
    base = committed or start
    if head != base and _committed_since(root, base, head or "", tracking):
        end(state)
        return _("kehu: the last `kehu sync` was interrupted (killed) before it finished, and commits were made "
                 "here since (not by kehu), so this clone is left as it is: `git log` and `git status` show it; "
                 "`kehu sync` merges again")
    stale = _stale_index_lock(root, state)
    if stale is not None:
        return _("kehu: the last `kehu sync` was interrupted (killed) before it finished merging, and a git "
                 "command is working in this clone now ({lock} is held), so the clone is not put back yet: "
                 "the next kehu command does it once that git command has finished").format(lock=stale)
    # the working tree as the killed sync left it (a hand edit made since among it): kept under a ref
    kept = gitrun.run(root, "stash", "create", check=False).stdout.strip()
    if kept:
        gitrun.run(root, "update-ref", KEPT_REF, kept, check=False)
    try:
        put_back(root, start, committed)
        _remove_files_brought(root, base, tracking)
    except KehuError as exc:  # the marker stays: the command after the mend puts the clone back
        why = str(exc.args[0] if exc.args else exc).split("\n")[0]  # git's first line says it
        raise PutBackFailed(_(
            "the last `kehu sync` was interrupted (killed) before it finished merging, and this clone "
            "could not be put back as it was before that sync: {why} Until it is, the clone holds that "
            "sync's half-merged files: mend what git says, then any kehu command puts it back (and "
            "`kehu sync` merges again)").format(why=why)) from None
    end(state)
    said = _("kehu: the last `kehu sync` was interrupted (killed) before it finished merging; this clone was put "
             "back as it was before that sync (HEAD {start}, your edits uncommitted, no merge), so nothing it "
             "had merged is taken for an edit of yours. Run `kehu sync` to merge again").format(start=start[:7])
    if kept:
        said += _(" (the working tree as that sync left it is kept as {ref}: `git stash apply {ref}` brings it "
                  "back)").format(ref=KEPT_REF)
    return said


def _committed_since(root: Path, base: str, head: str, tracking: str) -> bool:
    """Whether HEAD holds commits other than the killed sync's own merges since ``base``: a
    commit made by hand after the kill (``git commit``, ``git pull --rebase``), which putting the
    clone back would drop."""
    if gitrun.run(root, "merge-base", "--is-ancestor", base, head, check=False).returncode != 0:
        return True
    others = gitrun.run(root, "rev-list", "--no-merges", f"{base}..{head}",
                        *(["--not", tracking] if tracking and gitrun.ref_exists(root, tracking) else []),
                        check=False)
    return others.returncode != 0 or bool(others.stdout.strip())


def _stale_index_lock(root: Path, state: Path) -> str | None:
    """Git's index.lock, left by the killed sync's git (killed while it wrote the merge's files),
    is removed when nothing can be holding it, judged from what any system tells, no process
    table read: the last git that sync started (its id noted by the process that becomes it,
    before it runs: :func:`begin`) no longer runs (``os.kill(pid, 0)``); the lock is no older
    than the sync's marker (an older one was another command's: the sync's git could not have
    taken it); and it holds no whole index (git's
    ``DIRC`` with its checksum: a ``git commit -a`` waiting on its editor holds one, written
    whole; a git killed while writing leaves an empty or cut one). The lock's path when that git
    still runs (the clone is put back later), else None; a lock not shown stale is left, and the
    put-back's failure names it (:class:`PutBackFailed`), for the user to remove once no git runs."""
    git_dir = gitrun.path_said(gitrun.run(root, "rev-parse", "--absolute-git-dir", check=False).stdout)
    lock = Path(git_dir) / "index.lock"
    if not git_dir or not lock.is_file():
        return None
    try:
        # began: when the sync wrote its marker, before it started any git that may take the lock
        noted = (state / SYNC_GIT).read_text(encoding="utf-8").strip()
        began, made, text = (state / MARKER).stat().st_mtime, lock.stat().st_mtime, lock.read_bytes()
        # the note is written by the process that becomes the git, before it runs
        # (gitrun._NOTE_THEN_GIT): empty, it was killed while writing it, and no git of it ran
        pid = int(noted) if noted else None
    except (OSError, ValueError):  # no git of the sync's known (an older kehu's marker)
        return None
    if _runs(pid):
        return str(lock)
    if made < began - 1 or _whole_index(text):  # (1 s: file systems keeping mtimes coarsely)
        return None
    with contextlib.suppress(FileNotFoundError):
        lock.unlink()
    return None


#: how long a process just killed may still be listed: until its parent (for a killed sync's
#: git, the system's first process) collects it, which some containers' do every second or two
_COLLECTED_WITHIN = 5.0


def _runs(pid: int | None) -> bool:
    """Whether process ``pid`` may still run (True when the system cannot tell; None: no git of the
    sync ran since its note was begun). One listed is asked again for a few seconds: a git killed
    with its sync is listed until it is collected."""
    if os.name == "nt":  # there os.kill(pid, 0) ends the process (and the note is kehu's, after git began)
        return True
    if pid is None:
        return False
    waited = time.monotonic() + _COLLECTED_WITHIN
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except OSError:  # another user's (PermissionError): it runs
            return True
        if _collectable(pid):
            return False
        if time.monotonic() > waited:
            return True
        time.sleep(0.1)


def _collectable(pid: int) -> bool:
    """Whether ``pid`` is a process that has ended and waits to be collected (a zombie), where
    the system says so (Linux's ``/proc``): on a loaded machine the first process, which collects
    a killed sync's git, can take longer than :data:`_COLLECTED_WITHIN` to do it, and the stale
    lock was left. Elsewhere (no ``/proc``) the wait above decides alone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2:][:1] in (b"Z", b"X")  # the state follows the command's name


def _whole_index(text: bytes) -> bool:
    """Whether ``text`` is a whole git index: its signature and its trailing checksum (SHA-1,
    or SHA-256 in a repository of that hash) of all that comes before it."""
    import hashlib

    if not text.startswith(b"DIRC"):
        return False
    return any(len(text) > 12 + size and hashlib.new(name, text[:-size]).digest() == text[-size:]
               for name, size in (("sha1", 20), ("sha256", 32)))


def _remove_files_brought(root: Path, base: str, tracking: str) -> None:
    """The files a sync killed while git wrote the merge into the working tree left untracked
    (git's index not yet written, so ``git reset --hard`` does not know them): each untracked
    file not in the commit the sync began from (``base``: the user's new files are there) whose
    content is the remote's file at that path, byte for byte, is the colleague's, and is removed
    (with the folders it leaves empty). A file of the user's own made since is kept."""
    found = gitrun.run(root, "ls-files", "-z", "--others", "--exclude-standard", check=False).stdout
    untracked = [rel for rel in found.split("\0") if rel]
    if not untracked or not tracking or not gitrun.ref_exists(root, tracking):
        return
    mine, theirs = _tree(root, base), _tree(root, tracking)
    brought = [rel for rel in untracked if rel in theirs and rel not in mine]
    if not brought:
        return
    hashed = gitrun.run(root, "hash-object", "--stdin-paths", input="\n".join(brought) + "\n",
                        check=False).stdout.split()
    if len(hashed) != len(brought):
        return
    top = root.resolve()
    for rel, blob in zip(brought, hashed, strict=True):
        if blob != theirs[rel]:
            continue
        path = root / rel
        with contextlib.suppress(OSError):
            path.unlink()
            folder = path.parent
            while folder.resolve() != top and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent


def _tree(root: Path, commit: str) -> dict[str, str]:
    """The files of ``commit`` under ``root`` (paths as ``git ls-files`` gives them), each its
    blob (the whole tree listed: a pathspec per file would bound how many there can be)."""
    listed = gitrun.run(root, "ls-tree", "-r", "-z", commit, check=False).stdout
    return {rel: meta.split()[2] for meta, _tab, rel in (line.partition("\t") for line in listed.split("\0"))
            if rel}
