"""git, driven through its command line: the store's history, commits and merges."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import KehuError

# git run in a clone, kehu's way (its identity, no other repository's environment): a module
# below the store, which runs git too; here under its names as before
from ..gitrun import (  # noqa: F401 (kehu's git API)
    git_env,
    head,
    path_said,
    ref_exists,
    refuse_special_git_files,
    run,
    waiting_problem,
)
from ..i18n import _
from ..paths import typed_path


def is_repo(root: Path) -> bool:
    return repo_problem(root) is None


def has_repo(root: Path) -> bool:
    """Whether a command that commits what it changes has a repository to commit to in
    ``root``: False for none (a store made with ``kehu init --no-git``: the files change, no
    commit is made); a repository git refuses to work in (one of another user's: git's "dubious
    ownership") is a :class:`KehuError` saying git's reason, asked before anything changes.
    Taken for none, `kehu handover` and `kehu customer merge` changed the files and committed
    nothing, exit 0, and `kehu git-setup` said to `git init` it."""
    problem = repo_problem(root)
    if problem is not None and problem != "not a git repository":
        raise KehuError(_("{root}: {problem}").format(root=root, problem=problem))
    return problem is None


def repo_problem(root: Path) -> str | None:
    """Why git will not work in ``root`` (None: it will): not a repository, or git's own reason
    (a clone that belongs to another user, which git refuses as "dubious ownership")."""
    result = run(root, "rev-parse", "--is-inside-work-tree", check=False)
    if result.returncode == 0:
        return None
    said = (result.stderr.strip().splitlines() or [""])[0].removeprefix("fatal: ")
    if not said or "not a git repository" in said:
        return _unreadable_git(root) or "not a git repository"
    if "dubious ownership" in said:
        return ("git refuses to work in it: it belongs to another user (git's \"dubious "
                "ownership\"; `git config --global --add safe.directory PATH` if it is yours)")
    return f"git refuses to work in it: {said}"


def _unreadable_git(root: Path) -> str | None:
    """Why git took ``root`` for no repository when its ``.git`` is there and this user may not
    read it (`chmod 000`, another user's tool), or None. `kehu sync` said "is not a git
    repository; `git init` it", `kehu handover` committed nothing with exit 0, and `kehu report
    reps` and `customer log` left out every commit of the other clones, without a word."""
    from ..yamlio import cannot_read

    dot_git = root / ".git"
    try:
        if os.path.isdir(dot_git) and not os.path.islink(dot_git):
            os.stat(dot_git / "HEAD")  # the folder entered, as git enters it
            os.listdir(dot_git)
        elif cannot_read(dot_git) is None:  # a worktree's .git file, or none
            return None
    except PermissionError:
        pass
    except OSError:
        return None
    else:
        if os.path.isdir(dot_git):
            return None
    return _("its .git folder cannot be read: permission denied (check its owner and mode)")


#: set in the environment of a git command after which kehu brings the index up to date itself
SKIP_HOOK = "KEHU_INDEXES_ITSELF"


def commit(root: Path, message: str, paths: list[str] | None = None) -> bool:
    """Commit ``paths`` (everything if None); False when there was nothing to commit."""
    targets = paths or ["."]
    run(root, "add", "-A", "--", *targets)
    if run(root, "diff", "--cached", "--quiet", "--", *targets, check=False).returncode == 0:
        return False
    # everything: what the index holds, so a file untracked by hand (`git rm --cached`) that is
    # still in the folder is committed as removed, which a commit of paths (taken from the
    # folder) refused as "nothing to commit"
    try:
        run(root, "commit", "-q", "-m", message, *(["--", *targets] if paths else []))
    except BaseException:
        unstage(root, targets)
        raise
    return True


def unstage(root: Path, targets: list[str]) -> bool:
    """Git's index of ``targets`` as HEAD has them again (False: git could not write it, a full
    disk): a commit that failed (a full disk, a hook) left what it had staged, which the next
    `git commit` of the user's took along, after the command had put the files back."""
    return run(root, "reset", "-q", "--", *targets, check=False).returncode == 0


@dataclass
class LogEntry:
    commit: str
    author: str
    date: str
    subject: str
    files: list[str]


def log(root: Path, path: Path) -> list[LogEntry]:
    """Commits touching ``path`` (a customer's folder), newest first, with the files changed."""
    if not is_repo(root):
        raise KehuError(_("{root} is not a git repository, so it has no history").format(root=root))
    # NUL between fields, as nothing git keeps of a commit or a path can hold one: a subject or
    # an author of a colleague's commit holding the separators used before (\x1e, \x1f) ended
    # `customer log` in "internal error". Each commit starts with a NUL (an empty field here).
    result = run(
        root, "log", "-z", "--follow" if path.is_file() else "--no-follow",
        "--format=%x00%H%x00%an <%ae>%x00%ad%x00%s", "--date=iso-strict", "--name-only",
        "--", str(path),
    )
    fields = result.stdout.split("\0")
    entries = []
    at = 0
    while at + 4 < len(fields):
        if fields[at]:  # not a commit's start: nothing git writes, passed over
            at += 1
            continue
        sha, author, date, subject = fields[at + 1:at + 5]
        at += 5
        files = []
        while at < len(fields) and fields[at]:
            files.append(fields[at].removeprefix("\n"))  # the list of files starts on a line of its own
            at += 1
        entries.append(LogEntry(sha, author, date, subject, files))
    return entries


# --- sharing: remotes, fetch, merge, push -------------------------------------------------


#: how long a transfer with a remote may move nothing before git gives up: a remote that takes
#: the connection and then says nothing (a hung server, a proxy holding the line) kept `kehu
#: sync` waiting for ever with the store's lock held, every other write of the clone refused.
#: A live server sends progress or keep-alives (git's upload-pack: every 5 s) while it works.
STALL_SECONDS = 120


def network_env() -> dict[str, str]:
    """Never let git wait for a password prompt, a dead host or a remote that stopped
    answering: fail, and kehu says why. What the user set in the environment stands."""
    env = {"GIT_TERMINAL_PROMPT": "0"}
    if "GIT_SSH_COMMAND" not in os.environ:
        # ssh asks a silent server every STALL_SECONDS / 4 seconds, and gives up after 4 unanswered
        alive = max(1, STALL_SECONDS // 4)
        env["GIT_SSH_COMMAND"] = (f"ssh -o BatchMode=yes -o ConnectTimeout=20 -o ServerAliveInterval={alive} "
                                  "-o ServerAliveCountMax=4")
    if "GIT_HTTP_LOW_SPEED_LIMIT" not in os.environ:  # http(s): under a byte a second, that long
        env["GIT_HTTP_LOW_SPEED_LIMIT"] = "1"
        env["GIT_HTTP_LOW_SPEED_TIME"] = str(STALL_SECONDS)
    return env


def run_network(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A git command that talks to a remote (fetch, push); never raises, never prompts."""
    if shutil.which("git") is None:
        raise KehuError(_("git is not installed; kehu needs it for history and sharing"))
    refuse_special_git_files(root)
    env = {**git_env(root), **network_env()}
    # git's words read as the UTF-8 they are, as gitrun.run reads them: under LC_ALL=C with
    # PYTHONUTF8=0, text=True read them in ASCII, and a remote in 远程.git that is not there
    # (git naming it) was "internal error: UnicodeDecodeError"
    return subprocess.run(["git", *map(typed_path, args)], cwd=root, capture_output=True, encoding="utf-8",
                          errors="surrogateescape", env=env, check=False)


def current_branch(root: Path) -> str | None:
    """The checked-out branch, or None when HEAD is detached."""
    result = run(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    return result.stdout.strip() or None


def remotes(root: Path) -> list[str]:
    return run(root, "remote").stdout.split()


def remote_url(root: Path, remote: str) -> str:
    return run(root, "remote", "get-url", remote, check=False).stdout.strip()


def upstream(root: Path, branch: str) -> tuple[str, str] | None:
    """(remote, branch on the remote) configured for ``branch``, if any."""
    remote = run(root, "config", f"branch.{branch}.remote", check=False).stdout.strip()
    merge = run(root, "config", f"branch.{branch}.merge", check=False).stdout.strip()
    if remote and merge and remote != ".":
        return remote, merge.removeprefix("refs/heads/")
    return None


def remote_branches(root: Path, remote: str) -> list[str]:
    """The branches this clone last fetched from ``remote`` (its remote-tracking refs)."""
    listed = run(root, "for-each-ref", "--format=%(refname:strip=3)", f"refs/remotes/{remote}/").stdout
    return [name for name in listed.split() if name != "HEAD"]


def count(root: Path, revisions: str) -> int:
    return int(run(root, "rev-list", "--count", revisions).stdout.strip() or 0)


def replaying(root: Path) -> bool:
    """Whether git is replaying commits in ``root`` (``git rebase``, ``git pull --rebase``):
    its merges then take the branch replayed onto as "ours" and the commit replayed as
    "theirs", the other way round from a merge."""
    out = run(root, "rev-parse", "--git-path", "rebase-merge", "--git-path", "rebase-apply", check=False)
    return out.returncode == 0 and any((root / path_said(line)).is_dir() for line in out.stdout.splitlines() if line)


def merge_in_progress(root: Path) -> bool:
    return ref_exists(root, "MERGE_HEAD")


def commit_problem(root: Path) -> str | None:
    """Why a commit made now would not land on the clone's branch, or None. A command that
    commits what it changes (a hand-over, a customer merge) asks before it changes anything:
    with a merge open, git refused its partial commit after the files were changed; on a
    detached HEAD its commit belonged to no branch, and the `git switch` that gets back to one
    left it behind."""
    if merge_in_progress(root):
        return _("a merge is not finished (`kehu check` shows what is left; then `kehu sync` finishes it, "
                 "or `git merge --abort` undoes it)")
    if replaying(root) or ref_exists(root, "CHERRY_PICK_HEAD") or ref_exists(root, "REVERT_HEAD"):
        return _("git is replaying commits here (a rebase, a cherry-pick or a revert not finished): "
                 "finish it (`--continue`) or undo it (`--abort`)")
    if head(root) and current_branch(root) is None:
        return _("HEAD is detached (not on a branch: a checkout of an old commit), so the commit would "
                 "belong to no branch: `git switch BRANCH` first (`git branch` lists them)")
    return None


def unmerged_paths(root: Path) -> list[str]:
    out = run(root, "diff", "--name-only", "--diff-filter=U", "-z", check=False).stdout
    return [p for p in out.split("\0") if p]


def status(root: Path, *, ignored: bool = False, unreadable: list[str] | None = None) -> list[tuple[str, str]]:
    """Uncommitted changes under ``root`` as (two-letter status, path relative to ``root``),
    every untracked file listed (a rename as a deletion and an addition); with ``ignored``,
    ignored files too (``!!``): one walk of the tree for all of them. Folders git could not
    list (it warns, and sees no change in them) are added to ``unreadable``, if given."""
    args = ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"]
    result = run(root, *args, *(["--ignored"] if ignored else []), "--", ".")
    out = result.stdout
    prefix = run(root, "rev-parse", "--show-prefix").stdout.strip()  # git names paths from its top
    if unreadable is not None:
        unreadable += [m.removeprefix(prefix) for m in _UNLISTED.findall(result.stderr)]
    entries: list[tuple[str, str]] = []
    parts = out.split("\0")
    i = 0
    while i < len(parts):
        item = parts[i]
        i += 1
        if len(item) < 4:
            continue
        code, path = item[:2], item[3:]
        if code[0] in "RC":  # a rename (copy) is followed by its old name
            i += 1
        if path.startswith(prefix):
            entries.append((code, path[len(prefix):]))
    return entries


def changes_outside(root: Path) -> list[str]:
    """The repository's uncommitted changes (staged or not) to files outside the store ``root``,
    as paths from the repository's top; none when the store is the repository's top. A store may
    be a sub-folder of a project's repository (:func:`kehu_core.index.freshness.git_dir`): a sync
    commits the store alone, but merges the whole branch and, when it cannot finish, takes the
    whole working tree back (``git reset --hard``), and git commits everything staged. Untracked
    files are not changes here: nothing of git's touches them."""
    prefix = run(root, "rev-parse", "--show-prefix").stdout.removesuffix("\n")
    if not prefix:
        return []
    out = run(root, "status", "--porcelain=v1", "-z", "--untracked-files=no", "--no-renames", "--", ":/").stdout
    return [item[3:] for item in out.split("\0") if len(item) > 3 and not item[3:].startswith(prefix)]


# git status's warning for a folder it cannot list (its path relative to the repository's top)
_UNLISTED = re.compile(r"could not open directory '(.+?)/?': ")


def show(root: Path, rev: str, path: str) -> str | None:
    """A file's text at ``rev`` (None if it did not exist there)."""
    result = run(root, "show", f"{rev}:{path}", check=False)
    return result.stdout if result.returncode == 0 else None


def changed_paths(root: Path, old: str, new: str) -> list[str]:
    """Paths (relative to ``root``) that differ between two commits; a rename is both names."""
    out = run(root, "diff", "--name-only", "-z", "--no-renames", "--relative", old, new, "--").stdout
    return [p for p in out.split("\0") if p]


def changed_since(root: Path, commit: str, pending: list[str]) -> list[str] | None:
    """Paths (relative to ``root``) whose files in the working tree may differ from
    ``commit``'s: those committed since (a diff of two trees, no look at the files) and the
    uncommitted ones ``pending`` (from :func:`status`). None when git cannot tell (the
    commit is gone)."""
    if head(root) == commit:
        return sorted(set(pending))
    diff = run(root, "diff", "--name-only", "-z", "--no-renames", "--relative", commit, "HEAD", "--", check=False)
    if diff.returncode != 0:
        return None
    return sorted({p for p in diff.stdout.split("\0") if p} | set(pending))
