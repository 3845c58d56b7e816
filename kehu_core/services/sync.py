"""``kehu sync``: check, commit what changed (with a message a person can read, written by
:mod:`.sync_messages`), fetch, merge (:mod:`.sync_merge`), check again, push; what keeps a sync
from spreading a broken store or leaving a clone half-done is in :mod:`.sync_guard`.
"""

from __future__ import annotations

import contextlib
import random
import re
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import sync_marker
from ..errors import Problem, shown_path
from ..i18n import _
from ..paths import STATE_DIR
from ..store import CUSTOMER_FILE, Store
from . import (
    git_hooks,
    git_settings,
    gitops,
    merge_committed,
    merge_conflicts,
    merge_finishing,
    profile_merge,
    serve_secrets,
    sync_checks,
    sync_guard,
    sync_merge,
    sync_merged_away,
    sync_removals,
    sync_rewritten,
    sync_settled_files,
)
from .sync_guard import SyncError
from .sync_merge import git_reason
from .sync_messages import commit_message, describe, mapping_at

# What atomic_write leaves behind when a process dies between temp file and rename.
_TEMP_FILE = re.compile(r"^\..+\.[^.]+\.tmp$")


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
    #: customers this sync removed that no kehu command removes (:mod:`.sync_removals`)
    removed: list[sync_removals.Removed] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "committed": self.committed, "commit": self.commit, "remote": self.remote,
            "branch": self.branch, "merged": self.merged, "pushed": self.pushed,
            "conflicts": [{"path": str(p.path), "line": p.line, "message": p.message}
                          for p in self.conflicts],
            "notes": self.notes,
            "removed": [{"id": r.id, "name": r.name, "folder": r.folder} for r in self.removed],
        }


# --- the sync itself ----------------------------------------------------------------------------


def clean_temp_files(store: Store, untracked: list[str]) -> list[Path]:
    """Remove temp files of writes killed before their rename, among the ``untracked`` files
    (relative paths, ignored ones included: :func:`.gitops.status`). Call with the lock held."""
    removed = []
    for path in (store.root / rel for rel in untracked):
        if _TEMP_FILE.match(path.name) and path.is_file() and not path.is_symlink():
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
        data = mapping_at(path) if path.is_file() else {}
        if data.get(profile_merge.CONFLICTS_KEY):
            entries = data[profile_merge.CONFLICTS_KEY]
            problems.extend(merge_conflicts.entry_problems(path, str(data.get("id")), entries))
    return problems


def _target(root: Path) -> tuple[str, str]:
    branch = gitops.current_branch(root)
    if branch is None:
        raise SyncError(_("HEAD is detached (not on a branch); `git switch main` first, then sync"))
    configured = gitops.upstream(root, branch)
    if configured:
        return configured
    names = gitops.remotes(root)
    if not names:
        raise SyncError(
            _("there is no remote to sync with; add one with `git remote add origin URL` (e.g. "
                "a bare repository on a shared drive or a git server), then run `kehu sync` again")
        )
    return ("origin" if "origin" in names else names[0]), branch


def _push_why(result: Any) -> str:
    """Why git refused a push, as it said it: a hook's own words (this clone's pre-push, the
    remote's pre-receive: ``remote: ...``) and each ref refused with its reason (``[remote
    rejected] ... (pre-receive hook declined)``), at most 8 lines. The first ``error:`` line alone
    (:func:`.sync_merge.git_reason`) was "failed to push some refs", whatever refused it."""
    lines = [ln.strip() for ln in (result.stderr or result.stdout).splitlines() if ln.strip()]
    said = [ln for ln in lines if not ln.startswith(("To ", "hint:", "error: failed to push some refs"))]
    return "; ".join(said[:8]) or git_reason(result)


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


#: the seconds one call of an installed plugin's hook (a rule checking a customer, a customer's
#: values) may take in a sync, which holds the store's lock meanwhile and is often run by a
#: schedule with nobody watching: past them the hook is stopped and is the plugin's failure, so
#: the sync shares nothing (see ``PluginHost.bounded``). Far above any rule's work on one
#: record; a bound on a whole sync would fail a slow but sound rule on a large store for good.
PLUGIN_HOOK_SECONDS = 60.0


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP (a shutdown, a closed terminal, ``timeout``) stop a sync as Ctrl-C
    does, so it is undone and the clone left as it was: killed while pushing, a sync left its
    commit and merge in place (HEAD moved, the edits no longer uncommitted). Signals can be
    caught only in the main thread (the TUI syncs in a worker: there they stay as they were)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    wanted = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None]
    before = {s: signal.signal(s, interrupt) for s in wanted}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


def sync(store: Store, *, message: str | None = None, push: bool = True,
         attempts: int | None = None, push_back: bool = False) -> SyncReport:
    """Commit, fetch, merge, verify, push; a push that lost a race is fetched, merged, verified
    and pushed again, with backoff. Nothing ``kehu check`` rejects is ever pushed. A sync that
    cannot finish leaves the clone as it was before it (edits uncommitted), except a merge
    waiting for a person (files both sides changed, or ``conflicts:`` to choose): that is kept,
    unpushed, and the message says what to do. ``push_back``: a person's answer to a remote
    rewritten by a force-push (:mod:`.sync_rewritten`), the commits it took out merged back."""
    root = store.root
    problem = gitops.repo_problem(root)
    if problem == "not a git repository":
        raise SyncError(_("{root} is not a git repository; `git init` it (or `kehu init` a new store) to "
                          "share it").format(root=root))
    if problem is not None:
        raise SyncError(_("{root}: {problem}").format(root=root, problem=problem))
    report = SyncReport()
    if git_hooks.install_merge_driver(root):
        report.notes.append(_("installed kehu's merge driver in this clone (see `kehu git-setup`)"))
    if git_hooks.install_index_hooks(root).changed:  # a clone set up by an older kehu
        report.notes.append(_("updated kehu's index hooks in this clone (see `kehu git-setup`)"))
    with store.lock(), (store.plugins.bounded(PLUGIN_HOOK_SECONDS) if store.plugins is not None
                        else contextlib.nullcontext()):
        broken = git_settings.git_file_problems(root)  # before git opens them (a FIFO: for ever)
        if broken:
            raise _rejected(broken, root)
        _refuse_changes_outside(root)
        finished = gitops.merge_in_progress(root)
        again: list[sync_settled_files.MergeAgain] = []
        if finished:  # then followed up as git's own: a referral to a customer merged away there
            note, again = merge_finishing.finish_merge(store)
            report.notes.append(note)
        else:  # one finished so before, its customer merged away not merged in then (no key): now
            again = merge_committed.merged_away_standing(store)
        # a merge made by hand (`git pull`), one a killed sync did not follow up, one just finished
        report.notes += sync_merged_away.follow_up_hand_merge(store)
        # profiles changed here, merged away there
        report.notes += sync_settled_files.merge_again(store, again, finished=True, earlier=not finished)
        unreadable: list[str] = []  # folders git cannot list: check names them, so sync does
        seen = gitops.status(root, ignored=True, unreadable=unreadable)  # one walk: edits, new and temp files
        removed = clean_temp_files(store, [rel for code, rel in seen if code in ("??", "!!")])
        if removed:
            report.notes.append(_("removed {count} temp file(s) of interrupted writes").format(count=len(removed)))
        pending = [(code, rel) for code, rel in seen if code != "!!" and root / rel not in removed]
        changed = sync_checks.changed_since_verified(store, [rel for _code, rel in pending] + unreadable)
        problems = sync_checks.store_problems(store, changed)
        if problems:
            sync_guard.refuse_given_one_id_waiting(root)  # a rebase begun by hand holding two people under one id
            sync_guard.refuse_replay_stopped(root, problems)  # a rebase begun by hand stopped: undone, kehu merges
            raise _rejected(problems, root, finished=finished)
        if gitops.head(root) and gitops.current_branch(root) is None:
            # asked before committing: the commit of a detached HEAD (a `git checkout COMMIT`
            # to look at the past, a rebase stopped half-way) belongs to no branch, and the
            # `git switch` the message asks for left the new records behind, out of the store
            raise SyncError(_("HEAD is detached (not on a branch: a checkout of an old commit, or a "
                              "rebase not finished), so a commit here would belong to no branch; "
                              "nothing was committed. `git switch BRANCH` (`git branch` lists them) "
                              "or finish the rebase first, then sync"))
        point = sync_guard.RestorePoint(root, gitops.head(root))
        secret = serve_secrets.htpasswd_in_store(store)  # the logins' password hashes: never committed
        if secret is not None:
            pending = [(code, rel) for code, rel in pending if rel != secret]
        if (tracked := serve_secrets.htpasswd_tracked(store)) is not None:  # committed by hand before
            report.notes.append(serve_secrets.tracked_message(*tracked))
        elif secret is not None:
            report.notes.append(_("{file} (serve.htpasswd: the logins' password hashes) is kept out of the commit; "
                                  "keep it outside the store, or in .kehu/, or list it in .gitignore").format(
                file=secret))
        # kehu's own state (the index, the undo journal's copies of records, the lock) is this
        # clone's: a .gitignore without `.kehu/` (tidied by hand, a tool's written over it) had the
        # sync commit and push it, which every other clone then refused to merge
        state = [(code, rel) for code, rel in pending
                 if rel.rstrip("/") == STATE_DIR or rel.startswith(f"{STATE_DIR}/")]
        if state:
            pending = [entry for entry in pending if entry not in state]
            report.notes.append(_("{folder}/ (kehu's index and undo journal, this clone's own) is not ignored by "
                                  "the store's .gitignore: kept out of the commit; put the line {folder}/ back "
                                  "in .gitignore, as kehu init writes it").format(folder=STATE_DIR))
        if pending:
            text = message or commit_message(describe(root, pending))
            # (named only when git shows it: `git add` refuses a pathspec naming an ignored path)
            kept_out = [f":(exclude){rel}" for rel in ([STATE_DIR] if state else []) + ([secret] if secret else [])]
            if gitops.commit(root, text, [".", *kept_out] if kept_out else None):
                report.committed = text.splitlines()[0]
                report.commit = point.committed = gitops.head(root)
                if point.start:  # customers deleted by hand here: every clone takes it, said
                    mine = sync_removals.removed_by_hand(store, point.start)
                    report.removed += mine
                    by = _("this clone's commit {commit}").format(commit=(report.commit or "")[:7])
                    report.notes += sync_removals.said(store, mine, point.start, by)
        sync_checks.remember_verified(store)  # HEAD holds the files just checked
        try:
            remote, branch = _target(root)
        except SyncError as exc:
            done = (_("committed {commit} ({message}); ").format(commit=report.commit[:7], message=report.committed)
                    if report.commit else _("nothing new to commit; "))
            first, *more = exc.args or ("",)  # its lines as they were (KehuError: a line an argument)
            raise SyncError(f"{done}{first}", *more) from None  # a store kept alone: its commit stays
        if remote not in gitops.remotes(root):
            point.restore()
            raise SyncError(_("branch {branch} follows remote {remote}, which does not exist; fix it with `git "
                "branch --unset-upstream` or `git remote add`; nothing was changed").format(
                branch=branch, remote=repr(remote)))
        report.remote, report.branch = remote, branch
        # a kill from here on (git's merge has written the colleague's files, not committed them)
        # is put back by the next command as this clone was: the marker says where it began
        sync_marker.begin(store.state_dir, point.start, point.committed, f"refs/remotes/{remote}/{branch}")
        try:
            with _signals_interrupt():
                _exchange(store, report, point, remote, branch, push,
                          PUSH_ATTEMPTS if attempts is None else attempts, push_back=push_back)
            sync_rewritten.remember_synced(root, remote, branch)
        except SyncError:
            raise  # it said what it left: the clone as it was, or a merge waiting for a person
        except BaseException:  # git failing oddly, Ctrl-C: not half a sync either
            point.restore()
            raise
        finally:
            sync_marker.end(store.state_dir)
            store.index.refresh()
    return report


def _refuse_changes_outside(root: Path) -> None:
    """A store in a sub-folder of a project's repository, which holds uncommitted changes outside
    the store (:func:`gitops.changes_outside`): the sync stops before it commits anything. It took
    the project back with `git reset --hard` when it could not finish (an edit of the project's
    code lost, the sync saying nothing was changed), and its commit took what was staged there."""
    outside = gitops.changes_outside(root)
    if not outside:
        return
    shown = ", ".join(shown_path(rel) for rel in outside[:10]) + (", …" if len(outside) > 10 else "")
    top = gitops.path_said(gitops.run(root, "rev-parse", "--show-toplevel").stdout)
    raise SyncError(_("the store is a sub-folder of the git repository {top}, which holds changes outside the "
                      "store ({paths}); a sync merges the whole repository, and takes it back as it was when it "
                      "cannot finish, which would lose them, and would commit what is staged there; nothing was "
                      "committed or changed. Commit them, or put them away (`git stash`), then run `kehu sync` "
                      "again").format(top=shown_path(top), paths=shown))


def _rejected(problems: list[Problem], root: Path, *, finished: bool = False) -> SyncError:
    """What a sync says when the clone holds what ``kehu check`` rejects (nothing is shared).
    ``finished``: this sync committed the merge an earlier one left for a person (as they
    decided it), and that merge holds the problems: it stays, committed and unpushed."""
    if finished:
        return SyncError.of_lines(
            _("kehu sync finished the merge the last sync left open, as you decided it (committed in this "
              "clone, not pushed), but kehu check finds {count} problem(s) in this clone, and sync shares "
              "nothing check rejects. Fix them, then run `kehu sync` again:\n{listing}"),
            count=len(problems), listing=sync_guard.listing(problems, root))
    return SyncError.of_lines(
        _("kehu check finds {count} problem(s) in this clone, and sync shares nothing "
            "check rejects; nothing was committed or pushed. Fix them, then run `kehu sync` "
            "again:\n{listing}"), count=len(problems), listing=sync_guard.listing(problems, root))


def _exchange(store: Store, report: SyncReport, point: sync_guard.RestorePoint, remote: str,
              branch: str, push: bool, attempts: int, *, push_back: bool) -> None:
    """Fetch, merge, verify and push until the push lands (or the tries run out)."""
    root = store.root
    url = gitops.remote_url(root, remote)
    tracking = f"refs/remotes/{remote}/{branch}"
    kept = _("Nothing was changed in this clone (your edits are still there, uncommitted); "
             "run `kehu sync` again")
    for attempt in range(max(attempts, 1)):
        if attempt:
            time.sleep(min(_BACKOFF_MOST, _BACKOFF_FIRST * 2 ** (attempt - 1))
                       * random.uniform(0.5, 1.5))  # noqa: S311 - jitter, not a secret
        had = gitops.run(root, "rev-parse", "-q", "--verify", tracking, check=False).stdout.strip()
        # --prune: a branch deleted or renamed on the remote is gone here too, not pushed back
        fetched = gitops.run_network(root, "fetch", "--quiet", "--prune", remote)
        if fetched.returncode != 0:
            point.restore()
            raise SyncError(_("cannot reach remote {remote} ({url}): {why}. {kept} when the remote can be "
                "reached").format(
                remote=remote, url=url, why=git_reason(fetched), kept=kept))
        synced = sync_rewritten.last_synced(root, remote, branch, had)  # what no `git fetch` moved
        if synced and not push_back:  # commits the remote held taken out since (a force-push): not pushed back unasked
            sync_rewritten.refuse_rewritten(point, tracking, synced, f"{remote}/{branch}")
        if not gitops.ref_exists(root, tracking):
            others = gitops.remote_branches(root, remote)
            if had:
                sync_guard.refuse_branch_gone(point, remote, branch, others, kept)
            elif push and gitops.upstream(root, branch) is None:  # a branch of this clone's own (a worktree's, a try)
                sync_guard.refuse_new_branch(point, remote, branch, others, kept)
        if gitops.ref_exists(root, tracking) and gitops.head(root):
            behind = gitops.count(root, f"HEAD..{tracking}")
            if behind:
                before = gitops.head(root) or ""
                report.notes += sync_merge.merge(store, point, tracking, f"{remote}/{branch}")
                report.merged += behind
                changed = gitops.changed_paths(root, before, "HEAD")
                report.conflicts = conflicts_in(store, changed)
                sync_merge.verify(store, report, point, f"{remote}/{branch}", kept, changed, before)
                report.notes += sync_guard.one_person_twice(root, before, tracking, f"{remote}/{branch}")
                report.notes += sync_guard.handed_over_meanwhile(root, before, tracking, f"{remote}/{branch}")
                gone = sync_removals.removed_by_hand(store, before)
                report.removed += gone
                report.notes += sync_removals.said(store, gone, before, f"{remote}/{branch}")
                # the index now holds the merge's files: it notes the commit they are of, so that
                # if this sync is undone (a race lost for good, a push refused) the next look
                # reads back what differs from it (merges run without kehu's index hook)
                store.index.remember_look()
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
            raise SyncError(_("pushing to {remote} ({url}) was refused: {why}. Nothing was changed in this clone "
                              "(your edits are still there, uncommitted). The same sync is refused again until "
                              "what git says is mended (a hook of this clone or of the remote, a protected "
                              "branch, the remote's disk); then run `kehu sync` again").format(
                remote=remote, url=url, why=_push_why(pushed)))
    point.restore()
    raise SyncError(_("the remote {remote} ({url}) kept changing while this clone pushed: {attempts} "
        "tries lost the race to other clones. {kept} (a quieter moment will do)").format(
        remote=remote, url=url, attempts=attempts, kept=kept))


def _lost_race(result: Any) -> bool:
    said = (result.stderr + result.stdout).lower()
    return any(word in said for word in _RACE_WORDS)
