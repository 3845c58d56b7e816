"""git's own files in a store (``.gitattributes``, ``.gitignore``, ``.gitmodules``): what they
may hold, as ``kehu check`` reports them and as ``kehu sync`` refuses another clone's change to
them before it merges (a merge driver or a filter of theirs would run here)."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

from ..errors import KehuError, Problem, shown_path
from ..i18n import _
from ..paths import CONFIG_FILE, PLANS_DIR, TEMPLATES_DIR
from ..store import CUSTOMERS_DIR
from . import gitops

#: files that tell git how to merge, convert, check out or leave out the store's files, or to
#: fetch other repositories: a colleague's clone may not change them (kehu writes .gitattributes
#: and .gitignore itself; a `customers/` line in .gitignore left every new customer unshared
#: while sync said "nothing new to commit")
GIT_SETTINGS = (".gitattributes", ".gitignore", ".gitmodules")
_GITLINK = "160000"


def git_file_problems(root: Path) -> list[Problem]:
    """Git's own files of the store (``.gitattributes``, ``.gitignore``, ``.gitmodules``, at
    its top and in ``customers/``) that are no regular file: git opens them on every
    ``git status``, so a FIFO there made ``kehu sync`` wait for ever with the store locked (and
    ``kehu check`` said ok); a link or a device is no file of settings either. Two folders, six
    ``lstat``: cheap enough for every sync, before git is asked anything."""
    from ..yamlio import cannot_read, link_message, special_kind

    problems = []
    for folder in (root, root / CUSTOMERS_DIR):
        for name in GIT_SETTINGS:
            path = folder / name
            try:
                mode = path.lstat().st_mode
            except OSError:
                continue  # none there: git and kehu do without
            if stat.S_ISLNK(mode):
                problems.append(Problem(path, 1, link_message(path)))
            elif not stat.S_ISREG(mode):
                problems.append(Problem(path, 1, _("is {what}, not a file: git reads its settings for the "
                    "store from it and would wait on it or fail; put a regular file here, or remove it").format(
                    what=special_kind(mode))))
            elif (unreadable := cannot_read(path)) is not None:  # git goes on without it, then fails to add it
                problems.append(Problem(path, 1, unreadable))
    from ..index.freshness import git_would_wait

    if (found := git_would_wait(root)) is not None:  # .git/HEAD a FIFO: every git command waited on it
        problems.append(Problem(found[0], 1, gitops.waiting_problem(found[1])))
    return problems


def ignored_records(root: Path) -> list[Problem]:
    """Rules of git's that leave out a kind of file kehu keeps (:data:`_RECORDS`: ``kehu.yaml``,
    profiles, ledgers, interactions, templates, visit plans), wherever the rule is: the store's
    ``.gitignore`` edited in this clone, ``.git/info/exclude``, the user's own excludes file
    (``core.excludesFile``), a ``.gitignore`` of the project whose sub-folder the store is. Each is
    a problem at its line, naming what it leaves out. A `customers/` line there left every new
    customer unshared for good while `kehu sync` said "nothing new to commit" and `kehu check`
    said ok (:func:`foreign_git_settings` refuses only such a line another clone sends). Git is
    asked of one path of each kind, by its patterns (no walk of the store). Nothing outside a
    repository."""
    from ..index.freshness import git_dir

    try:
        if git_dir(root) is None or gitops.repo_problem(root) is not None:
            return []
        top = Path(gitops.path_said(gitops.run(root, "rev-parse", "--show-toplevel").stdout))
        exclude = root / gitops.path_said(gitops.run(root, "rev-parse", "--git-path", "info/exclude").stdout)
        if not _only_files_where_git_reads(root, top, exclude):
            return []  # git would wait on a FIFO for ever: git_file_problems and check name it
        out = gitops.run(root, "check-ignore", "--no-index", "-v", "-z", "--stdin", check=False,
                         input="\0".join(_RECORDS) + "\0").stdout
    except KehuError:  # no git on this machine (a store copied with its .git): nothing it ignores
        return []
    rules: dict[tuple[str, str, str], list[str]] = {}
    _add_rules(rules, out)
    if found := _ignored_record_files(root):  # a rule of no kind's probe: `customers/6a/`, `2027-*`
        _add_rules(rules, gitops.run(root, "check-ignore", "--no-index", "-v", "-z", "--stdin", check=False,
                                     input="\0".join(found) + "\0").stdout)
    if not rules:
        return []
    return [Problem(top / source, int(line) if line.isdigit() else 1, _(
                "{pattern}: git leaves out {what}, so kehu sync would never share them (it says \"nothing new to "
                "commit\"); take the line out").format(pattern=shown_path(pattern), what=_what_records(rels)))
            for (source, line, pattern), rels in sorted(rules.items())]


def _add_rules(rules: dict[tuple[str, str, str], list[str]], out: str) -> None:
    """git check-ignore's ``-v -z`` answer, each path under the rule that leaves it out."""
    fields = out.split("\0")
    for source, line, pattern, rel in zip(fields[0::4], fields[1::4], fields[2::4], fields[3::4], strict=False):
        if source and not pattern.startswith("!") and rel not in rules.get((source, line, pattern), ()):
            rules.setdefault((source, line, pattern), []).append(rel)  # a negation matched: kept


#: the store's folders and files of records, kept and shared as they are (git's pathspecs)
_RECORD_PLACES = (CUSTOMERS_DIR, TEMPLATES_DIR, PLANS_DIR, CONFIG_FILE)


def _ignored_record_files(root: Path) -> list[str]:
    """The store's own files among the records that git leaves out, as they are now (a probe of
    each kind catches a rule of a kind, not one of some folders or days: a colleague's
    `customers/6a/`, a `.gitignore` in a customer's folder, `2027-*`). A hidden name is no
    record (the temp files of a write, which kehu's own `.gitignore` leaves out)."""
    out = gitops.run(root, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--",
                     *_RECORD_PLACES, check=False).stdout
    return [rel for rel in out.split("\0") if rel and not any(part.startswith(".") for part in rel.split("/"))]


def foreign_git_settings(root: Path, ref: str) -> list[str]:
    """What ``ref`` (a colleague's commits) changes of how git treats this store, each said in
    a line: a ``.gitattributes`` anywhere that is not the one kehu writes (``merge=union`` on
    profiles, ``-merge``, ``filter=``, ``working-tree-encoding=UTF-16``: every later commit of the
    team failed "failed to encode"), a ``.gitmodules`` or a submodule (a gitlink). Checked before
    the merge, since git applies what the merge brings to that very checkout."""
    from ..store import GITATTRIBUTES, GITIGNORE

    base = gitops.run(root, "merge-base", "HEAD", ref, check=False).stdout.strip()
    if not base:  # unrelated histories: everything ref holds is new
        base = gitops.run(root, "hash-object", "-t", "tree", "/dev/null").stdout.strip()
    raw = gitops.run(root, "diff", "--raw", "-z", "--no-renames", "--no-abbrev", base, ref, "--").stdout
    prefix = gitops.run(root, "rev-parse", "--show-prefix").stdout.strip()
    own = {prefix + ".gitattributes": GITATTRIBUTES, prefix + ".gitignore": GITIGNORE}
    fields = raw.split("\0")
    found: list[str] = []
    probes: list[str] | None = None
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        if not meta.startswith(":"):
            continue
        _old_mode, new_mode, _old, new, _status = meta[1:].split()
        name = path.rsplit("/", 1)[-1]
        if new_mode == _GITLINK:
            found.append(_("{path}: a submodule (another repository inside the store)").format(path=path))
        elif path in own and new == _blob_id(own[path].encode("utf-8"), len(new)):
            continue  # kehu's own, as this kehu writes it
        elif name == ".gitignore" and set(new) != {"0"} and path.removeprefix(prefix).split("/")[0] in _RECORD_PLACES:
            found.append(_("{path}: a .gitignore among the records, where kehu writes none: it can only leave "
                           "records out, which would then never be shared").format(path=path))
        elif name == ".gitignore" and set(new) != {"0"}:
            if probes is None:  # each customer's folder the merge would bring: a rule of some of them
                probes = _probes_of(root, ref, prefix)
            ignored = _ignored_records(root, path, new, probes)
            if ignored:  # ignores of one's own (a.pdf) are the team's business
                found.append(_("{path}: leaves out {what}, which would then never be shared").format(
                    path=path, what=ignored))
        elif name in GIT_SETTINGS:
            found.append(_("{path}: changed ({what})").format(
                path=path, what=_("deleted") if set(new) == {"0"} else _("not as kehu writes it")))
    return found


#: a file of each kind kehu keeps, relative to the store: a .gitignore leaving one out is refused
_RECORDS = ("kehu.yaml", ".gitattributes", "customers/ab/c1abc/customer.yaml",
            "customers/ab/c1abc/points.ledger.yaml", "customers/ab/c1abc/interactions/2026-01-01-x.yaml",
            "templates/x.j2", "visits/rep/2026-01-01.yaml")


def _only_files_where_git_reads(root: Path, top: Path, exclude: Path) -> bool:
    """Whether every ``.gitignore`` git reads to answer of :data:`_RECORDS` (in each of their
    folders that is there, and in the store's folder and those above it up to the repository's
    top) and ``exclude`` are regular files or absent: git check-ignore opened a FIFO in the
    place of ``customers/.gitignore`` and waited for ever, `kehu check` with it."""
    folders = {root, *(parent for rel in _RECORDS for parent in (root / rel).parents
                        if parent.is_relative_to(root))}
    folders |= {parent for parent in root.parents if parent.is_relative_to(top)}
    for path in [exclude, *(folder / ".gitignore" for folder in folders)]:
        try:
            mode = path.lstat().st_mode
        except OSError:
            continue
        if not stat.S_ISREG(mode):
            return False
    return True


def _what_records(rels: list[str]) -> str:
    """Paths of :data:`_RECORDS` as a message names them (``customers/…/customer.yaml``)."""
    said = list(dict.fromkeys(rel.replace("ab/c1abc/", "…/").replace("x.j2", "…").replace("2026-01-01-x.yaml", "…")
                              .replace("rep/2026-01-01.yaml", "…") for rel in rels))
    more = _(" and {count} more").format(count=len(said) - _MOST_SAID) if len(said) > _MOST_SAID else ""
    return ", ".join(shown_path(rel) for rel in said[:_MOST_SAID]) + more


_MOST_SAID = 5  # paths a message names (a rule may leave out thousands)


def _probes_of(root: Path, ref: str, prefix: str) -> list[str]:
    """A file of each kind kehu keeps (:data:`_RECORDS`), and in each customer's folder of
    ``ref``, and ``ref``'s templates and visit plans, as paths from the repository's top."""
    listed = gitops.run(root, "ls-tree", "-r", "-t", "-z", "--name-only", "--full-name", ref, "--",
                        *_RECORD_PLACES[:3]).stdout.split("\0")
    folders = [rel for rel in listed if len(rel.removeprefix(prefix).split("/")) == 3
               and rel.removeprefix(prefix).startswith(CUSTOMERS_DIR + "/")]
    kinds = ("customer.yaml", "points.ledger.yaml", "interactions/2026-01-01-x.yaml")
    return ([prefix + rel for rel in _RECORDS] + [f"{folder}/{kind}" for folder in folders for kind in kinds]
            + [rel for rel in listed if not rel.removeprefix(prefix).startswith(CUSTOMERS_DIR + "/")])


def _ignored_records(root: Path, path: str, blob: str, probes: list[str]) -> str:
    """Which of kehu's files (``probes``) the .gitignore ``blob`` (at ``path``) leaves out, asked
    of git itself in an empty repository holding only that file."""
    import tempfile

    text = gitops.run(root, "cat-file", "blob", blob).stdout
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp)
        gitops.run(probe, "init", "-q")
        (probe / path).parent.mkdir(parents=True, exist_ok=True)
        (probe / path).write_text(text, encoding="utf-8")
        out = gitops.run(probe, "check-ignore", "--no-index", "-z", "--stdin", check=False,
                         input="\0".join(probes) + "\0").stdout
    prefix = gitops.run(root, "rev-parse", "--show-prefix").stdout.strip()
    return _what_records([rel.removeprefix(prefix) for rel in out.split("\0") if rel])


def _blob_id(data: bytes, length: int) -> str:
    """The id git gives ``data`` as a file (SHA-1, or SHA-256 in a repository made so)."""
    header = f"blob {len(data)}\0".encode()
    return (hashlib.sha256 if length == 64 else hashlib.sha1)(header + data).hexdigest()  # noqa: S324 - git's id
