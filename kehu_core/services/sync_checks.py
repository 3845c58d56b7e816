"""What a sync checks before it pushes: every problem ``kehu check`` would report, of what
changed since the last commit a sync verified (kept with the index), or of the whole store;
and whose changes a merge's problems come from (:func:`origin_of`), for what the sync says."""

from __future__ import annotations

import json
from pathlib import Path

from .. import __version__
from ..errors import Problem, RecordError, StoreError, shown_path
from ..i18n import _
from ..index.freshness import text_name
from ..paths import CONFIG_FILE
from ..store import CUSTOMERS_DIR, Store
from ..store.ledgers import ledger_entry
from ..yamlio.files import LEDGER_SUFFIX
from . import gitops
from .checking import check_store

_VERIFIED = "sync-verified"  # kept with the index: [commit, rules] of the last store a sync verified


def _rules(store: Store) -> str:
    """What decides what ``kehu check`` rejects besides the files: kehu and its plugins (their
    settings are in kehu.yaml, a file of the store). A store verified under other rules is
    checked again in full."""
    plugins = store.plugins.pm.list_name_plugin() if store.plugins else []
    return json.dumps([__version__, sorted(name for name, _plugin in plugins)])


def changed_since_verified(store: Store, pending: list[str]) -> list[str] | None:
    """The paths that may differ from the last commit whose files a sync verified (and found
    clean), ``pending`` (uncommitted) among them: None when there is no such commit to
    compare with — the clone's first sync, an index rebuilt since, kehu or its plugins
    changed, the commit gone — and so everything is checked."""
    try:
        commit, rules = json.loads(store.index.kept(_VERIFIED) or "")
    except ValueError:
        return None
    if rules != _rules(store) or not isinstance(commit, str):
        return None
    return gitops.changed_since(store.root, commit, pending)


def remember_verified(store: Store) -> None:
    """HEAD's files passed the check: the next sync checks what changed since."""
    store.index.keep(_VERIFIED, json.dumps([gitops.head(store.root), _rules(store)]))


def store_problems(store: Store, changed: list[str] | None = None) -> list[Problem]:
    """Every problem ``kehu check`` would report (sync pushes nothing it rejects), the index
    brought up to date with the files first. ``changed``: the paths that changed since a
    store found clean (local edits since the last verified commit, or what a merge brought);
    then only those records are read, with every rule across records a change to them can
    break (:func:`~.checking.check_store`). None: the whole store, every file compared — as a
    change of kehu.yaml (whose settings rule every record) also asks."""
    index = store.index
    if changed is None or CONFIG_FILE in changed:
        settings = settings_problems(store)
        if settings:  # every command stops on them: no record is worth reading first
            return settings
        index.refresh(full=True)
        return check_store(store)
    index.refresh_changed(changed)
    # (a folder whose name is not text holds no customer: the index names it, as check does)
    return check_store(store, customers={parts[2] for rel in changed
                                         if (parts := rel.split("/"))[0] == CUSTOMERS_DIR and len(parts) > 2
                                         and text_name(parts[2])})


def settings_problems(store: Store) -> list[Problem]:
    """What is wrong with kehu.yaml as the files hold it now, by the rules every command opens
    the store with (``Store.open``: its settings, the plugins' settings it enables). ``store``
    was opened before: a merge that brought a colleague's kehu.yaml (``schema_version: 99``,
    a YAML slip, a plugin's setting out of range, the file deleted) passed the check of the
    settings read before it, and was pushed, after which every command of every clone
    stopped on it (or, the file gone, worked on the demo store)."""
    path = store.root / CONFIG_FILE
    if not path.is_file() and not path.is_symlink():
        return [Problem(path, 1, _("deleted (or no file): every kehu command needs the store's {name}; "
                                   "bring it back (`git checkout HEAD -- {name}` or from an older "
                                   "commit)").format(name=CONFIG_FILE))]
    try:
        type(store).open(store.root, today=store.today, plugins=store.plugins.installed is not None,
                         extra_plugins=store.plugins.extra or None)
    except RecordError as exc:
        return list(exc.problems)
    except StoreError as exc:
        return [Problem(path, 1, str(exc))]
    return []


def origin_of(store: Store, problems: list[Problem], before: str) -> str:
    """Where the problems of a merge (HEAD, made from ``before`` and the remote's commit)
    come from: "theirs" when each is in a file only the remote's side changed since the two
    sides' common commit (it was pushed broken), "both" when each is in a file both sides
    changed, or some in this side's files and some in the other's (two changes that cannot both
    stand), else "" (a rule across records, a mix)."""
    root = store.root
    # the remote's commit: the merge's second parent, or HEAD itself after a fast-forward
    remote = "HEAD^2" if gitops.run(root, "rev-parse", "-q", "--verify", "HEAD^2", check=False).returncode == 0 \
        else "HEAD"
    base = gitops.run(root, "merge-base", before, remote, check=False).stdout.strip()
    if not base:
        return ""
    # as problems name them: a name that is not UTF-8 text as printed (errors.shown_path)
    ours = _with_folders(gitops.changed_paths(root, base, before))
    theirs = _with_folders(gitops.changed_paths(root, base, remote))
    sides = set()
    for problem in problems:
        path = Path(problem.path)
        try:  # the folder resolved, not the file: a link's problem is the link's, not its target's
            rel = (path.parent.resolve() / path.name).relative_to(root.resolve()).as_posix()
        except ValueError:
            return ""
        if rel in theirs - ours:
            sides.add("theirs")
        elif rel in theirs & ours:
            sides.add(_side_of_line(root, problem, rel, remote, before))
        elif rel in ours:  # this clone's file, whose problem is one with the other's (one id two ways)
            sides.add("ours")
        else:
            return ""
    if sides == {"ours", "theirs"}:  # a rule across records each side wrote: two changes, both sides'
        return "both"  # (C0001 added here, c0001 there: one id on macOS; it said "run `kehu sync` again")
    return sides.pop() if len(sides) == 1 and sides != {"ours"} else ""


def _side_of_line(root: Path, problem: Problem, rel: str, remote: str, before: str) -> str:
    """Whose a problem in a ledger both sides added to is: "theirs" when its line is no entry
    any reader takes, on its own, and is in the remote's version of the ledger and not in this
    clone's (a broken line a colleague pushed by plain git: "cannot both stand ... kehu undo"
    sent this clone to take back a sale that was fine); else "both" (a rule across entries, the
    same points spent in two clones, is both sides')."""
    if not rel.endswith(LEDGER_SUFFIX):
        return "both"
    try:  # lines as git and ``kehu check`` count them, at LF alone: a CR inside one is in it
        # (split at it too, each half an entry, a colleague's broken line was "both" sides',
        # the rep told to take back (`kehu undo`) a redemption of their own that was fine)
        merged = (root / rel).read_bytes().decode("utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return "both"
    if not 1 <= problem.line <= len(merged) or not merged[problem.line - 1].strip():
        return "both"
    line = merged[problem.line - 1].removesuffix("\r")
    try:
        ledger_entry(line, root / rel, problem.line)
        return "both"  # an entry read alone: its problem is one of the entries together
    except RecordError:
        pass
    # git's text as kehu runs it, a CR (alone or before LF) read as a line end: the line so too
    shown = line.replace("\r", "\n")
    mine, yours = (f"\n{gitops.show(root, rev, rel) or ''}\n" for rev in (before, remote))
    return "theirs" if f"\n{shown}\n" in yours and f"\n{shown}\n" not in mine else "both"


def _with_folders(paths: list[str]) -> set[str]:
    """Changed files and the folders holding them, as problems name them: a folder whose name
    is no text is named itself (``errors.shown_path``), not a file in it."""
    out = set()
    for path in map(shown_path, paths):
        parts = path.split("/")
        out.update("/".join(parts[:n]) for n in range(1, len(parts) + 1))
    return out
