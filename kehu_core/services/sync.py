"""``kehu sync``: commit what changed (with a message a person can read), merge, push.

The commit message is built from the records themselves, so ``git log`` reads like a shop
diary: ``赵敏: purchase 龙井茶礼盒 1288.00``. Many changes get a one-line summary
(``12 changes to 9 customers: 3 new customers, 8 purchases, 1 visit``) and one line each
in the body.
"""

from __future__ import annotations

import contextlib
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import NotFound, Problem
from ..store import CUSTOMER_FILE, CUSTOMERS_DIR, INTERACTIONS_DIR, LEDGER_SUFFIX, Store
from ..yamlio import YamlFileError, load_fast
from . import gitops, profile_merge, sync_guard
from .checking import check_store
from .sync_guard import SyncError

# What atomic_write leaves behind when a process dies between temp file and rename.
_TEMP_FILE = re.compile(r"^\..+\.[^.]+\.tmp$")
_BODY_LINES = 200  # a 5 000-contact import should not make a 5 000-line commit message


@dataclass
class Change:
    """One file's change, described for people."""

    customer_id: str | None
    customer: str  # name (or the path, for files outside customers/)
    what: str  # "purchase 龙井茶礼盒 1288.00", "new customer", "level 金卡" ...
    kind: str  # for the summary: "new customer", "purchase", "profile", "visit" ...


@dataclass
class SyncReport:
    committed: str | None = None  # the commit message's subject
    commit: str | None = None
    remote: str | None = None
    branch: str | None = None
    merged: int = 0  # commits brought in from the remote
    pushed: int = 0  # commits sent to the remote
    conflicts: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "committed": self.committed, "commit": self.commit, "remote": self.remote,
            "branch": self.branch, "merged": self.merged, "pushed": self.pushed,
            "conflicts": [{"path": str(p.path), "line": p.line, "message": p.message}
                          for p in self.conflicts],
            "notes": self.notes,
        }


# --- describing changes -----------------------------------------------------------------------


def _load(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    import yaml

    from ..yamlio import FastLoader

    try:
        data = yaml.load(text, Loader=FastLoader)  # noqa: S506 - a safe loader
    except Exception:
        return {}
    return data if isinstance(data, dict) else {}


def _load_path(path: Path) -> dict[str, Any]:
    try:
        data = load_fast(path)
    except (YamlFileError, OSError):
        return {}
    return data if isinstance(data, dict) else {}


def _money(value: Any) -> str:
    try:
        return f"{float(value):.2f}"
    except (TypeError, ValueError):
        return str(value)


def describe_interaction(data: dict[str, Any]) -> str:
    kind = str(data.get("kind", "interaction"))
    if kind == "purchase":
        items = [str(i.get("name")) for i in data.get("items") or [] if isinstance(i, dict)]
        parts = ["purchase", "、".join(items[:3]) + ("…" if len(items) > 3 else "")]
        if data.get("amount") is not None:
            parts.append(_money(data["amount"]))
        return " ".join(p for p in parts if p)
    text = str(data.get("text") or "").strip().splitlines()
    short = text[0][:24] + ("…" if len(text[0]) > 24 else "") if text else ""
    if kind == "complaint" and data.get("status") == "resolved":
        kind = "complaint resolved"
    return f"{kind} {short}".strip()


def _list_delta(old: Any, new: Any) -> str:
    old_items = [str(v) for v in old] if isinstance(old, list) else []
    new_items = [str(v) for v in new] if isinstance(new, list) else []
    added = [f"+{v}" for v in new_items if v not in old_items]
    removed = [f"-{v}" for v in old_items if v not in new_items]
    return " ".join(added + removed)


def describe_profile(old: dict[str, Any], new: dict[str, Any]) -> str:
    """``level 金卡, tags +老客户`` — the fields that changed, with short values."""
    parts = []
    for key in [*new, *[k for k in old if k not in new]]:
        if key == "id" or old.get(key) == new.get(key):
            continue
        before, after = old.get(key), new.get(key)
        if isinstance(before, list) or isinstance(after, list):
            parts.append(f"{key} {_list_delta(before, after)}".strip())
        elif after is None:
            parts.append(f"{key} removed")
        elif isinstance(after, (str, int, float)) and len(str(after)) <= 20:
            parts.append(f"{key} {after}")
        else:
            parts.append(key)
    return ", ".join(parts) if parts else "profile reformatted"


def describe(root: Path, entries: list[tuple[str, str]]) -> list[Change]:
    """Each pending change (from ``git status``) as a :class:`Change`."""
    names: dict[str, str] = {}

    def name_of(cid: str, folder: Path, rel_folder: str) -> str:
        if cid not in names:
            data = _load_path(folder / CUSTOMER_FILE) or _load(
                gitops.show(root, "HEAD", f"{rel_folder}/{CUSTOMER_FILE}"))
            names[cid] = str(data.get("name") or cid)
        return names[cid]

    changes = []
    detailed = 0
    for code, rel in sorted(entries, key=lambda e: e[1]):
        parts = rel.split("/")
        path = root / rel
        deleted = "D" in code
        added = code in ("??", "A ", "AM")
        if parts[0] != CUSTOMERS_DIR or len(parts) < 4:
            what = "removed" if deleted else "added" if added else "changed"
            changes.append(Change(None, rel, what, "settings" if rel == "kehu.yaml" else "other"))
            continue
        cid = parts[2]
        name = name_of(cid, root.joinpath(*parts[:3]), "/".join(parts[:3]))
        if parts[3] == CUSTOMER_FILE:
            if added:
                changes.append(Change(cid, name, "new customer", "new customer"))
            elif deleted:
                changes.append(Change(cid, name, "customer removed", "removed customer"))
            else:
                detailed += 1
                old = _load(gitops.show(root, "HEAD", rel)) if detailed <= _BODY_LINES else {}
                what = describe_profile(old, _load_path(path)) if old else "profile"
                changes.append(Change(cid, name, what, "profile"))
        elif parts[3] == INTERACTIONS_DIR and len(parts) == 5:
            data = _load(gitops.show(root, "HEAD", rel)) if deleted else _load_path(path)
            kind = str(data.get("kind", "interaction"))
            what = describe_interaction(data)
            if deleted:
                what, kind = f"removed {what}", "removed interaction"
            elif not added:
                what, kind = f"edited {what}", "edited interaction"
            changes.append(Change(cid, name, what, kind))
        elif parts[3].endswith(LEDGER_SUFFIX):
            ledger = parts[3].removesuffix(LEDGER_SUFFIX)
            changes.append(Change(cid, name, f"{ledger} ledger", f"{ledger} entry"))
        else:
            changes.append(Change(cid, name, f"{'/'.join(parts[3:])} changed", "other"))
    return changes


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"1 {word}"
    return f"{n} {word}es" if word.endswith(("s", "ch", "sh", "x")) else f"{n} {word}s"


def commit_message(changes: list[Change]) -> str:
    """A subject saying what changed, and for many changes one body line per customer."""
    by_customer: dict[str, list[Change]] = {}
    for change in changes:
        by_customer.setdefault(change.customer, []).append(change)
    lines = []
    for who, mine in by_customer.items():
        # ledger lines follow from purchases (points, tiers): named only when alone
        shown = [c for c in mine if not c.kind.endswith(" entry")] or mine
        lines.append(f"{who}: {', '.join(dict.fromkeys(c.what for c in shown))}")
    if len(lines) == 1 and len(lines[0]) <= 72:
        return lines[0]
    counted = [c for c in changes if not c.kind.endswith(" entry")] or changes
    kinds = Counter(c.kind for c in counted)
    profiles = kinds.pop("profile", 0)
    summary = [_plural(n, k) for k, n in kinds.most_common()]
    if profiles:
        summary.append(_plural(profiles, "profile edit"))
    customers = {c.customer_id for c in changes if c.customer_id}
    if len(by_customer) == 1:
        subject = f"{changes[0].customer}: {_plural(len(counted), 'change')} ({', '.join(summary)})"
    else:
        subject = (f"{_plural(len(counted), 'change')} to {_plural(len(customers), 'customer')}: "
                   f"{', '.join(summary)}")
    body = lines[:_BODY_LINES]
    if len(lines) > _BODY_LINES:
        body.append(f"... and {len(lines) - _BODY_LINES} more")
    return subject + "\n\n" + "\n".join(body)


# --- the sync itself ----------------------------------------------------------------------------


def clean_temp_files(store: Store) -> list[Path]:
    """Remove temp files of writes killed before their rename. Call with the lock held."""
    removed = []
    base = store.root / CUSTOMERS_DIR
    for path in [*base.rglob(".*.tmp"), *store.root.glob(".*.tmp")]:
        if _TEMP_FILE.match(path.name) and path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def conflicts_in(store: Store, paths: list[str]) -> list[Problem]:
    """The ``conflicts:`` entries recorded by the merge driver in these files."""
    problems = []
    for rel in paths:
        if not rel.endswith(f"/{CUSTOMER_FILE}"):
            continue
        path = store.root / rel
        data = _load_path(path) if path.is_file() else {}
        if data.get(profile_merge.CONFLICTS_KEY):
            entries = data[profile_merge.CONFLICTS_KEY]
            problems.extend(profile_merge.entry_problems(path, str(data.get("id")), entries))
    return problems


def _target(root: Path) -> tuple[str, str]:
    branch = gitops.current_branch(root)
    if branch is None:
        raise SyncError("HEAD is detached (not on a branch); `git switch main` first, then sync")
    configured = gitops.upstream(root, branch)
    if configured:
        return configured
    names = gitops.remotes(root)
    if not names:
        raise SyncError(
            "there is no remote to sync with; add one with "
            "`git remote add origin URL` (e.g. a bare repository on a shared drive or a git "
            "server), then run `kehu sync` again"
        )
    return ("origin" if "origin" in names else names[0]), branch


def _why(result: Any) -> str:
    lines = [ln.strip() for ln in (result.stderr or result.stdout).splitlines() if ln.strip()]
    fatal = [ln for ln in lines if ln.lower().startswith(("fatal:", "error:", "ssh:"))]
    return (fatal or lines or ["git gave no reason"])[0]


# How often a push that lost a race (another clone pushed first) is tried again, and the
# longest wait between tries; waits double from _BACKOFF_FIRST, with jitter so the clones that
# collided do not collide again. Twenty reps ending the day at once settle within a minute.
PUSH_ATTEMPTS = 8
_BACKOFF_FIRST = 0.25
_BACKOFF_MOST = 8.0
# what git says when the remote moved on since our fetch, or another push holds its ref
_RACE_WORDS = ("[rejected]", "non-fast-forward", "fetch first", "cannot lock ref",
               "failed to update ref", "unable to create", "index.lock", ".lock': file exists",
               "incorrect old value")


def sync(store: Store, *, message: str | None = None, push: bool = True,
         attempts: int | None = None) -> SyncReport:
    """Commit, fetch, merge, verify, push; a push that lost a race is fetched, merged, verified
    and pushed again, with backoff. Nothing ``kehu check`` rejects is ever pushed. A sync that
    cannot finish leaves the clone as it was before it (edits uncommitted), except a merge
    waiting for a person (files both sides changed, or ``conflicts:`` to choose): that is kept,
    unpushed, and the message says what to do."""
    root = store.root
    if not gitops.is_repo(root):
        raise SyncError(f"{root} is not a git repository; `git init` it (or `kehu init` a new "
                        "store) to share it")
    report = SyncReport()
    if gitops.install_merge_driver(root):
        report.notes.append("installed kehu's merge driver in this clone (see `kehu git-setup`)")
    with store.lock():
        if gitops.merge_in_progress(root):
            report.notes.append(sync_guard.finish_merge(store))
        removed = clean_temp_files(store)
        if removed:
            report.notes.append(f"removed {len(removed)} temp file(s) of interrupted writes")
        problems = store_problems(store)
        if problems:
            raise SyncError(
                f"kehu check finds {len(problems)} problem(s) in this clone, and sync shares "
                "nothing check rejects; nothing was committed or pushed. Fix them, then run "
                f"`kehu sync` again:\n{sync_guard.listing(problems, root)}")
        point = sync_guard.RestorePoint(root, gitops.head(root))
        pending = gitops.status(root)
        if pending:
            text = message or commit_message(describe(root, pending))
            if gitops.commit(root, text):
                report.committed = text.splitlines()[0]
                report.commit = point.committed = gitops.head(root)
        try:
            remote, branch = _target(root)
        except SyncError as exc:
            done = (f"committed {report.commit[:7]} ({report.committed}); "
                    if report.commit else "nothing new to commit; ")
            raise SyncError(f"{done}{exc}") from None  # a store kept alone: its commit stays
        if remote not in gitops.remotes(root):
            point.restore()
            raise SyncError(f"branch {branch} follows remote {remote!r}, which does not "
                            "exist; fix it with `git branch --unset-upstream` or `git remote add`; "
                            "nothing was changed")
        report.remote, report.branch = remote, branch
        try:
            _exchange(store, report, point, remote, branch, push,
                      PUSH_ATTEMPTS if attempts is None else attempts)
        finally:
            store.index.refresh()
    return report


def _exchange(store: Store, report: SyncReport, point: sync_guard.RestorePoint, remote: str,
              branch: str, push: bool, attempts: int) -> None:
    """Fetch, merge, verify and push until the push lands (or the tries run out)."""
    root = store.root
    url = gitops.remote_url(root, remote)
    tracking = f"refs/remotes/{remote}/{branch}"
    kept = ("Nothing was changed in this clone (your edits are still there, uncommitted); "
            "run `kehu sync` again")
    for attempt in range(max(attempts, 1)):
        if attempt:
            time.sleep(min(_BACKOFF_MOST, _BACKOFF_FIRST * 2 ** (attempt - 1))
                       * random.uniform(0.5, 1.5))  # noqa: S311 - jitter, not a secret
        fetched = gitops.run_network(root, "fetch", "--quiet", remote)
        if fetched.returncode != 0:
            point.restore()
            raise SyncError(f"cannot reach remote {remote} ({url}): {_why(fetched)}. {kept} "
                            "when the remote can be reached")
        if gitops.ref_exists(root, tracking) and gitops.head(root):
            behind = gitops.count(root, f"HEAD..{tracking}")
            if behind:
                before = gitops.head(root) or ""
                _merge(store, tracking, f"{remote}/{branch}")
                report.merged += behind
                changed = gitops.changed_paths(root, before, "HEAD")
                report.conflicts = conflicts_in(store, changed)
                _verify_merge(store, report, point, f"{remote}/{branch}", kept, changed)
            ahead = gitops.count(root, f"{tracking}..HEAD")
        else:
            ahead = gitops.count(root, "HEAD") if gitops.head(root) else 0
        if not push or not ahead:
            return
        pushed = gitops.run_network(root, "push", "--quiet", "--set-upstream", remote,
                                    f"HEAD:refs/heads/{branch}")
        if pushed.returncode == 0:
            report.pushed = ahead
            return
        if not _lost_race(pushed):
            point.restore()
            raise SyncError(f"pushing to {remote} ({url}) failed: {_why(pushed)}. {kept}")
    point.restore()
    raise SyncError(f"the remote {remote} ({url}) kept changing while this clone pushed: "
                    f"{attempts} tries lost the race to other clones. {kept} (a quieter moment "
                    "will do)")


def store_problems(store: Store, changed: list[str] | None = None) -> list[Problem]:
    """Every problem ``kehu check`` would report (sync pushes nothing it rejects), the index
    brought up to date with the files first: all of them, or (after a merge) just the record
    files git ``changed`` — a full comparison of a 100 000-customer store costs seconds."""
    index = store.index
    if changed is None:
        index.refresh(full=True)
    else:
        records = [store.root / rel for rel in changed if rel.startswith(f"{CUSTOMERS_DIR}/")]
        if there := [p for p in records if p.exists()]:
            index.refresh_given(there)
        for gone in (p for p in records if not p.exists()):
            with contextlib.suppress(NotFound):  # never indexed: nothing to forget
                index.refresh_given([gone])
    return check_store(store)


def _lost_race(result: Any) -> bool:
    said = (result.stderr + result.stdout).lower()
    return any(word in said for word in _RACE_WORDS)


def _verify_merge(store: Store, report: SyncReport, point: sync_guard.RestorePoint, label: str,
                  kept: str, changed: list[str]) -> None:
    """The merged store must pass ``kehu check`` before anything is pushed. Conflicts the
    merge driver recorded (``conflicts:``) wait, merged and unpushed, for a person to choose;
    any other problem undoes the whole sync."""
    problems = store_problems(store, changed)
    if not problems:
        return
    conflicts = [p for p in problems if sync_guard.is_conflict(p)]
    if len(conflicts) == len(problems):
        report.conflicts = conflicts
        raise SyncError(
            f"merged {label}, but {len(conflicts)} field(s) were changed two ways; both versions "
            "are kept under `conflicts:` in the file. Nothing was pushed: choose each value, "
            "then run `kehu sync` again:\n" + sync_guard.listing(conflicts, store.root))
    point.restore()
    store.index.refresh(full=True)
    raise SyncError(
        f"merging {label} gives a store kehu check rejects, so nothing was pushed. {kept}. "
        "The problems the merge would bring:\n" + sync_guard.listing(problems, store.root))


def _merge(store: Store, ref: str, label: str) -> None:
    """Merge ``ref``; a merge git stops (files both sides changed) stays for the user to finish."""
    root = store.root
    result = gitops.run(root, "merge", "--no-edit", "-m", f"kehu sync: merge {label}", ref,
                        check=False)
    if result.returncode == 0:
        return
    stuck = gitops.unmerged_paths(root)
    if not stuck:
        gitops.run(root, "merge", "--abort", check=False)
        raise SyncError(f"merging {label} failed: {_why(result)}")
    decide = sync_guard.undecided(root)
    lines = "\n".join(decide) if decide else ", ".join(stuck)
    raise SyncError(
        f"merging {label} stopped: {len(stuck)} file(s) changed on both sides in ways "
        f"kehu cannot merge; nothing was pushed. Edit them (`kehu check` shows where), "
        "then run `kehu sync` again to finish; or `git merge --abort` to undo the merge:\n"
        + lines
    )
