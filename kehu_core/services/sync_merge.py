"""A sync's merge of the remote's commits (git's merge, and what kehu settles after it: records
merged away on one side and edited on the other, ledgers, plans) and the check of the merged
store before anything is pushed; :mod:`.sync` drives them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..i18n import _
from ..paths import STATE_DIR
from ..store import Store
from . import (
    git_settings,
    gitops,
    merge_settling,
    merged_ledgers,
    sync_checks,
    sync_guard,
    sync_merged_away,
    sync_settled_files,
    unmerged_files,
)
from .sync_guard import SyncError

if TYPE_CHECKING:
    from .sync import SyncReport


def git_reason(result: Any) -> str:
    """The line of what git said that says why it failed (its first ``fatal:``/``error:`` line)."""
    lines = [ln.strip() for ln in (result.stderr or result.stdout).splitlines() if ln.strip()]
    fatal = [ln for ln in lines if ln.lower().startswith(("fatal:", "error:", "ssh:"))]
    return (fatal or lines or ["git gave no reason"])[0]


def verify(store: Store, report: SyncReport, point: sync_guard.RestorePoint, label: str,
                  kept: str, changed: list[str], before: str) -> None:
    """The merged store must pass ``kehu check`` before anything is pushed. Conflicts the
    merge driver recorded (``conflicts:``) wait, merged and unpushed, for a person to choose;
    any other problem undoes the whole sync."""
    # the ledgers the union left were settled by :func:`merge` in the merge commit, so ``changed``
    # (since ``before``) holds those it settled, a ledger that was this clone's own among them
    report.notes += merge_settling.join_respelled_entries(store.root, changed)
    problems = sync_checks.store_problems(store, changed)
    if not problems:
        sync_checks.remember_verified(store)
        return
    conflicts = [p for p in problems if sync_guard.is_conflict(p)]
    if len(conflicts) == len(problems):
        report.conflicts = conflicts
        raise SyncError(_(
            "merged {label}, but {count} field(s) were changed two ways; both versions are kept under "
            "`conflicts:` in the file. Nothing was pushed: choose each value, then run `kehu sync` again:"
        ).format(label=label, count=len(conflicts)), *sync_guard.listing(conflicts, store.root))
    origin = sync_checks.origin_of(store, problems, before)
    links = [p for p in problems if Path(p.path).is_symlink()]  # as the merge checked them out
    point.restore()
    store.index.refresh_changed(changed)  # the files as before the merge again
    listing = sync_guard.listing(problems, store.root)
    as_it_was = _("Nothing was changed in this clone (your edits are still there, uncommitted)")
    if origin == "theirs" and len(links) == len(problems):
        raise sync_guard.links_brought(label, links, store.root, as_it_was)
    if origin == "theirs":  # a sync again would stop here again, in every clone: say who can fix it
        raise SyncError(_(
            "merging {label} gives a store kehu check rejects, so nothing was pushed. The problems are in "
            "{label}'s files as they were pushed, not in your changes (kehu sync pushes nothing its check "
            "rejects: they came by plain git or an older kehu), so every clone's sync stops here until they "
            "are fixed: where they were made, or in one clone with `git merge {label}`, the files corrected "
            "(`kehu check` shows where), `git commit -a` and `kehu sync`. {kept}. The problems:").format(
            label=label, kept=as_it_was), *listing)
    if origin == "both":  # two changes that are each fine and cannot both stand: a person decides
        raise SyncError(_(
            "merging {label} gives a store kehu check rejects, so nothing was pushed: your changes and "
            "{label}'s to the same records cannot both stand (a sale paid in full in both clones, say). "
            "Take yours back (`kehu undo`) or change them so that both can stand, then run `kehu sync`. "
            "{kept}. The problems:").format(label=label, kept=as_it_was), *listing)
    raise SyncError(_(
        "merging {label} gives a store kehu check rejects, so nothing was pushed. {kept}. The problems the "
        "merge would bring:").format(label=label, kept=kept), *listing)


def merge(store: Store, point: sync_guard.RestorePoint, ref: str, label: str) -> list[str]:
    """Merge ``ref``; a merge git stops (files both sides changed) stays for the user to finish.
    Returns what kehu did beyond git's merge, one line each, for the report."""
    root = store.root
    # .kehu/ (the index, the lock, the undo journal) is each clone's own and ignored by git, so a
    # checkout replaces it without asking: a commit that added it (`git add -f`, a link to a
    # folder outside) is refused before the merge, this clone's journal and index kept
    shared = gitops.run(root, "ls-tree", "--name-only", ref, "--", STATE_DIR, check=False)
    if shared.returncode == 0 and shared.stdout.strip():
        point.restore()
        raise SyncError(_("{label} holds {folder}/, kehu's own folder of each clone (its index and undo "
                          "journal), which is never shared: nothing was merged. Remove it from the remote "
                          "(`git rm -r --cached {folder}` in the clone that added it), then run `kehu sync` "
                          "again").format(label=label, folder=STATE_DIR))
    foreign = git_settings.foreign_git_settings(root, ref)
    if foreign:
        point.restore()
        raise SyncError(_("{label} changes how git merges or checks out this store's files, which kehu "
                          "takes from no clone (a merge driver, a filter or an encoding there would run in "
                          "every clone): nothing was merged. Put them back as kehu wrote them in the clone "
                          "that changed them (`git checkout <a commit before> -- <path>`; kehu writes "
                          ".gitattributes and .gitignore itself), then run `kehu sync` again:").format(label=label),
                        *(f"  {line}" for line in foreign))
    twice = sync_guard.added_in_both(root, ref)  # before git's merge, which joins them
    if twice:
        sync_guard.refuse_added_in_both(point, ref, label, twice)
    # kehu's index hook is not run: the sync reads what the merge changed itself, at once.
    # `--ff` over the rep's own settings: with `merge.ff = only` (a habit against merge commits)
    # every sync of a clone whose colleague had pushed meanwhile failed, "Not possible to fast-forward"
    result = gitops.run(root, "merge", "--ff", "--no-edit", "-m", f"kehu sync: merge {label}", ref,
                        check=False, env={gitops.SKIP_HOOK: "1"})
    if (result.returncode != 0 and (merge_settling.settle_plans(root, gitops.unmerged_paths(root))
                                    + merge_settling.settle_ledgers(root, gitops.unmerged_paths(root)))
            and not gitops.unmerged_paths(root)):  # a plan (a ledger) changed here, reset there: merged
        result = gitops.run(root, "commit", "-q", "--no-edit", check=False, env={gitops.SKIP_HOOK: "1"})
    edited: list[sync_settled_files.MergeAgain] = []
    renumbered: list[str] = []
    if result.returncode != 0:  # a profile edited here, merged into another there (or the other way)
        edited = sync_settled_files.keep_edited_merged_away(store) or sync_settled_files.merged_into_two(store)
        renumbered = [] if edited else sync_settled_files.keep_moved_with_new_id(store)
        # kept: the files it staged, which may say nothing yet (ledgers alone: the follow-up says them)
        kept, placed = ([], []) if edited or renumbered else sync_settled_files.keep_placed_by_merge(store)
        renumbered += placed
        if edited or renumbered or kept:
            result = gitops.run(root, "commit", "-q", "--no-edit", check=False, env={gitops.SKIP_HOOK: "1"})
    if result.returncode == 0:
        # the ledgers as git's union left them, settled in the merge commit itself before the
        # commits that follow it: they rename the entries naming a customer merged away, which
        # made an entry the union kept as it was and as rewritten one entry twice
        settled = merged_ledgers.drop_entries_taken_back(root)
        # this clone's side, by its commit: what follows commits after the merge (HEAD^1 moves)
        ours = gitops.run(root, "rev-parse", "-q", "--verify", "HEAD^1", check=False).stdout.strip() or "HEAD^1"
        # a customer merged away on one side, records added to it on the other: they follow it
        followed = sync_merged_away.follow_merged_customers(store, ref)
        stuck = [] if followed else merge_settling.reopen_orphaned_customers(root, ref)
        if not stuck:
            return (settled + followed + renumbered + sync_settled_files.merge_again(store, edited)
                    + sync_merged_away.follow_references(store, ref, ours))
    else:
        stuck = gitops.unmerged_paths(root)
    if not stuck:
        point.restore()
        raise SyncError(_("merging {label} failed: {why}. Nothing was changed in this clone (your edits "
            "are still there, uncommitted)").format(
            label=label, why=git_reason(result)))
    # two people under one id are refused before the merge (added_in_both); should git's merge hold them
    # anyway, they are no keep-or-delete decision
    sync_guard.refuse_given_one_id_waiting(root)
    decide = unmerged_files.undecided(root)
    edit = unmerged_files.to_edit(root)
    if decide and not edit:  # changed in one clone, deleted or moved in the other: nothing to edit
        raise SyncError(_(
            "merging {label} stopped: {count} file(s) kept in one clone and deleted or moved in the other, "
            "which kehu cannot decide for you; nothing was pushed. There is nothing to edit: keep or delete "
            "each as its line below says (`git add` keeps it, `git rm` deletes it), then run `kehu sync` "
            "again to finish; or `git merge --abort` to undo the merge:").format(label=label, count=len(stuck)),
            *decide)
    if decide:
        raise SyncError(_(
            "merging {label} stopped: {count} file(s) kehu cannot merge, {edit} to edit (lines changed on both "
            "sides: keep the right lines, delete git's markers, `git add` it) and {decide} to keep or delete "
            "(kept in one clone, deleted or moved in the other: `git add` keeps it, `git rm` deletes it), each "
            "as its line below says; nothing was pushed. Then run `kehu sync` again to finish; or `git merge "
            "--abort` to undo the merge:").format(label=label, count=len(stuck), edit=len(edit),
                                                  decide=len(stuck) - len(edit)), *edit, *decide)
    raise SyncError(_(
        "merging {label} stopped: {count} file(s) changed on both sides in ways kehu cannot merge; nothing "
        "was pushed. Edit them (`kehu check` shows where), then run `kehu sync` again to finish; or "
        "`git merge --abort` to undo the merge:").format(label=label, count=len(stuck)), ", ".join(stuck))
