"""What a merge of two clones leaves that ``kehu sync`` settles itself, before it is checked:
a visit plan or a ledger changed on one side and deleted on the other (git stops on those
without asking kehu's drivers), ledger entries a merge holds twice written two ways, and
customers a clean merge left without their profile (made a decision for the person again).
"""

from __future__ import annotations

from pathlib import Path

from ..i18n import _
from ..store import CUSTOMER_FILE, CUSTOMERS_DIR
from . import gitops
from .merged_ledgers import entry_of
from .unmerged_files import DELETED_BY_THEM, DELETED_BY_US, customer_of


def settle_plans(root: Path, stuck: list[str]) -> list[str]:
    """A rep's visit plan of one day changed in one clone and deleted in the other (the day's
    changes taken back, ``kehu visits plan --reset``), which git stops on without asking
    kehu's driver: merged as the driver merges a plan (:func:`planfile.merged_text`), what
    the keeping side added kept, and staged. Plans both sides changed are the driver's; a side
    that is no plan stays for a person. Returns the paths it settled."""
    from ..paths import PLANS_DIR
    from ..visits import planfile
    from ..yamlio import YamlFileError, read_text
    from ..yamlio.atomic import atomic_write

    settled = []
    for rel in stuck:
        parts = rel.split("/")
        if len(parts) != 3 or parts[0] != PLANS_DIR or not planfile.PLAN_NAME.fullmatch(parts[2]):
            continue
        staged = gitops.run(root, "ls-files", "-u", "-z", "--", rel, check=False).stdout
        stages = {int(entry.split("\t", 1)[0].split()[2]) for entry in staged.split("\0") if entry}
        if len(stages & {2, 3}) != 1 or 1 not in stages:
            continue
        base = gitops.run(root, "show", f":1:{rel}", check=False).stdout
        try:  # the kept side as git left it here, with its line ends (git's text here has LF)
            text = planfile.merged_text(base, read_text(root / rel))
        except (ValueError, YamlFileError):  # no plan on one side, a link, no file: for a person
            continue
        if text is None:
            gitops.run(root, "rm", "-q", "-f", "--", rel)
        else:
            atomic_write(root / rel, text)
            gitops.run(root, "add", "--", rel)
        settled.append(rel)
    return settled


def settle_ledgers(root: Path, stuck: list[str]) -> list[str]:
    """A customer's ledger changed in one clone (an entry appended: a sale's void) and deleted in
    the other (``kehu undo`` of the sale whose entry was the ledger's only one), which git stops
    on without its union merge: merged as that merge would, the deleting side's entries out and
    the keeping side's new ones kept (nothing but the header left: deleted), and staged. Its
    records are the person's to decide, their entries following (:func:`settle_kept_records`).
    Returns the paths it settled."""
    from ..store import LEDGER_SUFFIX
    from ..yamlio.atomic import atomic_write

    settled = []
    base_commit: str | None = None
    for rel in stuck:
        path = root / rel
        if (customer_of(rel) is None or not rel.endswith(LEDGER_SUFFIX) or "/interactions/" in rel
                or not path.is_file() or path.is_symlink()):
            continue
        staged = gitops.run(root, "ls-files", "-u", "-z", "--", rel, check=False).stdout
        stages = {entry.split("\t", 1)[0].split()[2] for entry in staged.split("\0") if entry}
        if frozenset(stages) not in (DELETED_BY_US, DELETED_BY_THEM):
            continue
        profile = f"{rel.rsplit('/', 1)[0]}/{CUSTOMER_FILE}"
        if any(gitops.run(root, "cat-file", "-e", f"{rev}:{profile}", check=False).returncode
               for rev in ("HEAD", "MERGE_HEAD")):
            continue  # its customer deleted (or merged away) on one side: decided whole, by a person
        if base_commit is None:
            base_commit = gitops.run(root, "merge-base", "HEAD", "MERGE_HEAD", check=False).stdout.strip()
        if base_commit and gitops.run(root, "cat-file", "-e", f"{base_commit}:{rel}", check=False).returncode:
            # no ledger of this customer at the base: another customer's, moved here (`customer merge`)
            # while the other clone deleted that customer whole. Its entries are the moved records'
            # (a sale kept when the sync asks keeps its points): for the person, with them. Settled so,
            # every entry the base held went, the sale kept with 0 of its points, `check` ok
            continue
        base = set((gitops.show(root, ":1", rel) or "").splitlines())
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for n, line in enumerate(lines, 1)
                if entry_of(path, n, line) is None or line.rstrip("\r\n") not in base]
        if all(entry_of(path, n, line) is None for n, line in enumerate(kept, 1)):
            gitops.run(root, "rm", "-q", "-f", "--", rel)
        else:
            atomic_write(path, "".join(kept))
            gitops.run(root, "add", "--", rel)
        settled.append(rel)
    return settled


def join_respelled_entries(root: Path, changed: list[str]) -> list[str]:
    """Ledger entries a merge holds twice, the same entry (its id, every value) written two ways:
    a colleague's commit rewrote a ledger's lines (CRLF line ends from an editor, other spacing)
    while this clone added to it, and git's union merge kept both spellings of every entry.
    Each such entry is kept once (its first line), the merge commit amended; ``kehu check``
    refused the merge ("is here twice, written two ways") in every clone adding to that
    ledger, until someone took the lines out by hand. Entries of one id with different values
    are not touched: a person decides those. Only a merge this sync made is amended (a
    fast-forward is the remote's own commit). Returns a note per ledger so joined."""
    import json

    from ..store import LEDGER_SUFFIX
    from ..yamlio.atomic import atomic_write

    ledgers = [rel for rel in changed if rel.endswith(LEDGER_SUFFIX)]
    if not ledgers or gitops.run(root, "rev-parse", "-q", "--verify", "HEAD^2", check=False).returncode:
        return []
    done = []
    for rel in ledgers:
        path = root / rel
        if path.is_symlink() or not path.is_file():
            continue
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)  # line ends as LF
        seen: dict[str, str] = {}  # id -> the entry's values, as text
        kept: list[str] = []
        for n, line in enumerate(lines, 1):
            entry = entry_of(path, n, line)
            if entry is not None and isinstance(entry.get("id"), str):
                values = json.dumps(entry, sort_keys=True, default=repr)
                if seen.get(entry["id"]) == values:
                    continue  # the same entry again, spelt otherwise
                seen.setdefault(entry["id"], values)
            kept.append(line)
        if len(kept) < len(lines):  # the rewrite's other spellings: its header comment too
            kept = [line for n, line in enumerate(kept) if line.startswith("- ") or line not in kept[:n]]
            atomic_write(path, "".join(kept))
            gitops.run(root, "add", "--", rel)
            done.append(_("{path}: {count} entries the merge held twice, written two ways (a commit "
                          "rewrote the ledger's lines), kept once").format(path=rel, count=len(lines) - len(kept)))
    if done:
        gitops.run(root, "commit", "-q", "--amend", "--no-edit", env={gitops.SKIP_HOOK: "1"})
    return done


def reopen_orphaned_customers(root: Path, ref: str) -> list[str]:
    """After a merge git finished alone: customers deleted in one clone (``kehu customer
    merge``) to whose folder the other clone added a file (a note, a visit) without changing
    the files it had. Git merged that cleanly, leaving the new file without its profile, which
    ``kehu check`` rejects, so every sync of both clones was undone again and again, neither
    able to move. Such a merge is made again uncommitted, each of those ``customer.yaml``
    marked unmerged (deleted on one side, kept on the other: stages 1 and 2 or 3) and put back
    in the working tree, so that ``kehu check``, the TUI and the next sync ask the person to
    keep the customer or delete it (:func:`settle_deleted_customers`, whole either way).
    Returns the profiles so marked (relative to ``root``)."""
    merged, ours = "HEAD", "HEAD^1"
    base = gitops.run(root, "merge-base", ours, ref, check=False).stdout.strip()
    if not base:
        return []
    orphaned = orphaned_profiles(root, base, merged)
    if not orphaned:
        return []
    theirs = set(customer_files(root, ref))
    keeper = {rel: "3" if rel in theirs else "2" for rel in orphaned}
    gitops.run(root, "reset", "-q", "--hard", ours)
    gitops.run(root, "merge", "--no-commit", "--no-ff", ref, check=False, env={gitops.SKIP_HOOK: "1"})
    prefix = gitops.run(root, "rev-parse", "--show-prefix").stdout.strip()
    lines = []
    for rel in orphaned:
        side = ref if keeper[rel] == "3" else ours
        gitops.run(root, "checkout", side, "--", rel)  # the profile as the keeping side has it
        blob = {rev: gitops.run(root, "rev-parse", f"{rev}:./{rel}").stdout.strip() for rev in (base, side)}
        lines += [f"0 {'0' * len(blob[base])} 0\t{prefix}{rel}",  # its stage 0 out, as git's own conflicts
                  f"100644 {blob[base]} 1\t{prefix}{rel}", f"100644 {blob[side]} {keeper[rel]}\t{prefix}{rel}"]
    gitops.run(root, "update-index", "--index-info", input="\n".join(lines) + "\n")
    return orphaned


def orphaned_profiles(root: Path, base: str, merged: str) -> list[str]:
    """The profiles (relative) of ``base`` that ``merged`` no longer has while their folder
    still holds files there: a customer deleted (or merged away) on one side, a file added to
    its folder on the other, git's merge of the two leaving the file without its profile."""
    listed = {rev: set(customer_files(root, rev)) for rev in (base, merged)}
    orphaned = []
    for rel in sorted(listed[base]):
        folder = rel.rsplit("/", 1)[0] + "/"
        if (rel.endswith(f"/{CUSTOMER_FILE}") and rel not in listed[merged]
                and any(f.startswith(folder) for f in listed[merged])):
            orphaned.append(rel)
    return orphaned


def customer_files(root: Path, rev: str) -> list[str]:
    out = gitops.run(root, "ls-tree", "-r", "-z", "--name-only", rev, "--", CUSTOMERS_DIR,
                     check=False).stdout
    return [p for p in out.split("\0") if p]
