"""``kehu serve``'s htpasswd file (the logins' bcrypt password hashes) and git: it never goes
to the team's remote. `kehu sync` keeps it out of its commits (:func:`htpasswd_in_store`), and
one already committed by hand is named by `kehu check` and by the sync (:func:`htpasswd_tracked`):
git's history keeps it for everyone with the remote, whatever kehu commits after."""

from __future__ import annotations

from ..errors import Problem
from ..i18n import _
from ..paths import STATE_DIR
from ..store import Store
from . import gitops


def _htpasswd_path(store: Store) -> str | None:
    """The store-relative path of kehu.yaml's ``serve: htpasswd:`` file when it is in the
    store's folder, outside ``.kehu/`` (None else)."""
    settings = store.config.serve
    if settings is None:
        return None
    root = store.root.resolve()
    try:
        resolved = settings.htpasswd_file(store.root).resolve()
    except (OSError, RuntimeError):  # a link loop: said by `kehu serve` as what it is
        return None
    if not resolved.is_relative_to(root) or resolved.is_relative_to(root / STATE_DIR):
        return None
    return resolved.relative_to(root).as_posix()


def htpasswd_in_store(store: Store) -> str | None:
    """The htpasswd file's store-relative path when it is in the store's folder, outside
    ``.kehu/`` and not ignored by git (None else): `kehu sync` committed and pushed it, the
    logins' bcrypt password hashes, to the team's remote, though the docs say to keep it out
    of git and the example names it relative to the store."""
    rel = _htpasswd_path(store)
    if rel is None or not gitops.is_repo(store.root):
        return None
    if gitops.run(store.root, "check-ignore", "-q", "--", rel, check=False).returncode == 0:
        return None  # ignored by git: the team's own choice
    return rel


def htpasswd_tracked(store: Store) -> tuple[str, str] | None:
    """(path, the commit that added it) when the htpasswd file is tracked by git: committed by
    hand (`git add .`), so it is on the remote and in its history. None when it is not (or the
    store is no git repository)."""
    rel = _htpasswd_path(store)
    if rel is None or not gitops.is_repo(store.root):
        return None
    # in the index or in HEAD: untracked (`git rm --cached`) but not yet committed so, it is still
    # what the next push sends, and a sync commits that removal only once git ignores the file
    if (gitops.run(store.root, "ls-files", "--error-unmatch", "--", rel, check=False).returncode != 0
            and gitops.run(store.root, "cat-file", "-e", f"HEAD:{rel}", check=False).returncode != 0):
        return None
    added = gitops.run(store.root, "log", "-1", "--diff-filter=A", "--format=%h", "--", rel, check=False)
    return rel, added.stdout.strip() or _("not committed yet")


def tracked_message(rel: str, commit: str) -> str:
    """What to do about an htpasswd file git tracks (:func:`htpasswd_tracked`)."""
    return _("{file} (serve.htpasswd: the logins' password hashes) is in git's history (commit {commit}), so on the "
             "team's remote for everyone who has it: `git rm --cached {file}`, list it in .gitignore, sync, and "
             "change the passwords (htpasswd -B {file} NAME)").format(file=rel, commit=commit)


def htpasswd_warnings(store: Store) -> list[Problem]:
    """`kehu check`'s warning at kehu.yaml's ``serve: htpasswd:`` line for a tracked htpasswd file."""
    tracked = htpasswd_tracked(store)
    if tracked is None:
        return []
    from ..yamlio import line_of, load_roundtrip

    path = store.root / "kehu.yaml"
    try:
        line = line_of(load_roundtrip(path), ["serve", "htpasswd"])
    except Exception:  # noqa: BLE001 - unreadable meanwhile: kehu.yaml's own problem
        line = 1
    return [Problem(path, line, tracked_message(*tracked))]
