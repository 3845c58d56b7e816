"""git, driven through its command line: the store's history, commits and merges."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import KehuError

# Commits made by kehu itself fall back to this identity when the user has none configured.
_FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "kehu",
    "GIT_AUTHOR_EMAIL": "kehu@localhost",
    "GIT_COMMITTER_NAME": "kehu",
    "GIT_COMMITTER_EMAIL": "kehu@localhost",
}


def _env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    probe = subprocess.run(
        ["git", "config", "user.email"], cwd=root, capture_output=True, text=True, check=False
    )
    if probe.returncode != 0 or not probe.stdout.strip():
        for key, value in _FALLBACK_IDENTITY.items():
            env.setdefault(key, value)
    return env


def run(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    if shutil.which("git") is None:
        raise KehuError("git is not installed; kehu needs it for history and sharing")
    result = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, env=_env(root), check=False
    )
    if check and result.returncode != 0:
        raise KehuError(f"git {' '.join(args)} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


def is_repo(root: Path) -> bool:
    return run(root, "rev-parse", "--is-inside-work-tree", check=False).returncode == 0


def install_merge_driver(root: Path) -> None:
    """Register kehu's field-by-field merge driver for customer.yaml in this clone."""
    run(root, "config", "merge.kehu.name", "kehu record merge (field by field)")
    run(root, "config", "merge.kehu.driver", "kehu merge-file %O %A %B %P")


def init_repo(root: Path) -> None:
    if not is_repo(root) or run(root, "rev-parse", "--show-toplevel").stdout.strip() != str(root.resolve()):
        run(root, "init", "-q")
    install_merge_driver(root)
    run(root, "add", "-A", ".")
    run(root, "commit", "-q", "-m", "kehu init: new store", "--allow-empty")


def commit(root: Path, message: str, paths: list[str] | None = None) -> bool:
    """Commit ``paths`` (everything if None); False when there was nothing to commit."""
    run(root, "add", "-A", "--", *(paths or ["."]))
    if run(root, "diff", "--cached", "--quiet", "--", *(paths or ["."]), check=False).returncode == 0:
        return False
    run(root, "commit", "-q", "-m", message, "--", *(paths or ["."]))
    return True


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
        raise KehuError(f"{root} is not a git repository, so it has no history")
    sep = "\x1e"
    result = run(
        root, "log", "--follow" if path.is_file() else "--no-follow",
        f"--format={sep}%H%x1f%an <%ae>%x1f%ad%x1f%s", "--date=iso-strict", "--name-only",
        "--", str(path),
    )
    entries = []
    for chunk in result.stdout.split(sep):
        if not chunk.strip():
            continue
        head, _, files = chunk.partition("\n")
        sha, author, date, subject = head.split("\x1f")
        entries.append(LogEntry(sha, author, date, subject, [f for f in files.splitlines() if f]))
    return entries
