"""The fifteenth outside round (fifteentha, 2026-12-06), kinds 1 to 4: links and special files,
text read one way and written another, values that pass one door and not another, writes that
land in the wrong place. Each failed on the code before its fix. See docs/reliability.md, "The
outside attacker's variants"."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import test_hostile_limits
from .conftest import git, kehu

no_traceback = test_hostile_limits.no_traceback


def _store_in_a_project(tmp_path: Path) -> tuple[Path, Path]:
    """A git project (code, docs) whose sub-folder ``crm`` is a kehu store (``kehu init --no-git``
    there: the store is the project's, as freshness.git_dir allows), committed, with a remote."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    (project / "main.py").write_text("print('v1')\n", encoding="utf-8")
    assert kehu("init", str(project / "crm"), "--no-git").code == 0
    git(project, "add", "-A")
    git(project, "commit", "-qm", "project and store")
    git(project, "remote", "add", "origin", str(remote))
    git(project, "push", "-q", "-u", "origin", "HEAD")
    return project, project / "crm"


def test_a_sync_of_a_store_in_a_projects_sub_folder_never_loses_or_commits_the_projects_changes(
        tmp_path: Path) -> None:
    """A store kept in a sub-folder of a git project (the shop's CRM beside its code or docs):
    `kehu sync` took the project back with `git reset --hard` when it could not finish (the
    remote unreachable), so the user's uncommitted edit of the project's main.py was lost while
    the sync said "Nothing was changed in this clone"; and its commit took what the user had
    staged outside the store (`git add secret.txt`) into "张三: new customer", to be pushed.
    Changes of the repository outside the store stop the sync before it commits anything,
    named, the project and the store as they were."""
    project, store = _store_in_a_project(tmp_path)
    assert kehu("customer", "add", "--name", "张三", store=store).code == 0
    (project / "main.py").write_text("print('v2, not committed yet')\n", encoding="utf-8")
    (project / "secret.txt").write_text("token\n", encoding="utf-8")
    git(project, "add", "secret.txt")
    git(project, "remote", "set-url", "origin", str(tmp_path / "gone.git"))  # offline
    head = git(project, "rev-parse", "HEAD")
    result = kehu("sync", store=store)
    assert result.code == 1, result.out
    no_traceback(result)
    assert "main.py" in result.err and "secret.txt" in result.err, result.err
    assert (project / "main.py").read_text(encoding="utf-8") == "print('v2, not committed yet')\n"
    assert git(project, "rev-parse", "HEAD") == head  # nothing committed
    assert git(project, "diff", "--cached", "--name-only").split() == ["secret.txt"]  # still staged
    assert "crm/customers/" in git(project, "status", "--porcelain", "--untracked-files=all")
    # committed by the user (or put away), the sync goes on, and commits the store alone
    git(project, "commit", "-qm", "the project's own", "--", "main.py", "secret.txt")
    git(project, "remote", "set-url", "origin", str(tmp_path / "remote.git"))
    (project / "notes.txt").write_text("untracked, the project's\n", encoding="utf-8")
    result = kehu("sync", store=store)
    assert result.code == 0, result.err
    assert git(project, "show", "--name-only", "--format=", "HEAD").split()[0].startswith("crm/customers/")
    assert git(project, "status", "--porcelain").split() == ["??", "notes.txt"]


def test_a_rule_of_gits_leaving_out_records_is_named_wherever_it_is(tmp_path: Path) -> None:
    """A clone whose git leaves out kehu's records by a rule of its own: a `customers/` line in
    `.git/info/exclude`, `*.ledger.yaml` added to the store's `.gitignore` in this clone, `*.yaml`
    in the user's excludes file (`core.excludesFile`), `data/` in the `.gitignore` of the project
    holding the store in `data/crm`. `kehu check` said ok and `kehu sync` said "nothing new to
    commit" (or committed and pushed the `.gitignore` to every clone), exit 0, while every new
    customer, sale or point stayed on this machine. Each rule is a problem of `check` at its line,
    naming what it leaves out, so the sync refuses, nothing committed or pushed; an ignore of the
    user's own (`.DS_Store`, `!` a negation) is none."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    store = tmp_path / "shop"
    assert kehu("init", str(store)).code == 0
    git(store, "remote", "add", "origin", str(remote))
    assert kehu("sync", store=store).code == 0
    pushed = git(remote, "rev-parse", "HEAD")
    excludes = tmp_path / "global-ignore"
    excludes.write_text(".DS_Store\n*.pdf\n!customers/\n", encoding="utf-8")
    git(store, "config", "core.excludesFile", str(excludes))
    assert kehu("check", store=store).code == 0  # the user's own ignores
    assert kehu("customer", "add", "--name", "张三", store=store).code == 0
    for where, rule, named in (
            (store / ".git" / "info" / "exclude", "customers/", "customers/…/customer.yaml"),
            (store / ".gitignore", "*.ledger.yaml", "customers/…/points.ledger.yaml"),
            (excludes, "*.yaml", "kehu.yaml")):
        before = where.read_text(encoding="utf-8")
        where.write_text(before + rule + "\n", encoding="utf-8")
        line = len((before + rule).splitlines())
        checked = kehu("check", store=store)
        assert checked.code == 1, checked.out
        no_traceback(checked)
        assert f"{where}:{line}: {rule}: git leaves out " in checked.out + checked.err, checked.out + checked.err
        assert named in checked.out + checked.err
        synced = kehu("sync", store=store)
        assert synced.code == 1 and f"{rule}: git leaves out" in synced.err, synced.err
        assert git(remote, "rev-parse", "HEAD") == pushed
        where.write_text(before, encoding="utf-8")
    assert kehu("sync", store=store).code == 0  # the rules taken out: the customer is shared
    assert "customer.yaml" in git(remote, "show", "--name-only", "--format=", "HEAD")
    # a project's .gitignore leaving out the folder of a store in its sub-folder
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    (project / ".gitignore").write_text("build/\ndata/\n", encoding="utf-8")
    assert kehu("init", str(project / "data" / "crm"), "--no-git").code == 0
    checked = kehu("check", store=project / "data" / "crm")
    said = checked.out + checked.err
    assert checked.code == 1 and f"{project / '.gitignore'}:2: data/: git leaves out kehu.yaml" in said, said


def test_a_value_written_as_a_date_in_a_text_field_passes_every_door_alike(tmp_path: Path) -> None:
    """A rep's note that is a day (`notes: 2026-01-01`, unquoted, by hand or by another tool), a
    nickname so written: `kehu check` and `customer show` read it as the text it is (the scan reads
    no date), while the editor of `customer set` read a date and refused the profile ("notes:
    expected text, and YAML reads this as a date"), as did `customer merge`, and `kehu handover`
    stopped at that customer with the rep's customers half handed over, exit 1. The editor reads
    such a value as text and writes it back as it was."""
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    ids = []
    for name in ("甲", "乙", "丙"):
        added = kehu("customer", "add", "--name", name, "--owner", "王芳", store=store)
        assert added.code == 0, added.err
        ids.append(added.out.strip())
    profile = next((store / "customers").glob(f"*/{ids[1]}/customer.yaml"))
    hand = "notes: 2026-01-01\nnickname: 2026-1-5\n2026-05-20: 纪念日\nseen: [2026-02-30, 2026-01-01 10:00:00]\n"
    profile.write_text(profile.read_text(encoding="utf-8") + hand, encoding="utf-8")
    assert kehu("check", store=store).code == 0
    result = kehu("customer", "set", ids[1], "title=店长", store=store)
    assert result.code == 0, result.err
    assert profile.read_text(encoding="utf-8").endswith(hand)  # as written, not quoted
    shown = kehu("customer", "show", ids[1], "--json", store=store)
    assert '"notes": "2026-01-01"' in shown.out and '"nickname": "2026-1-5"' in shown.out
    result = kehu("handover", "王芳", "李四", store=store)
    assert result.code == 0, result.err
    no_traceback(result)
    listed = kehu("customer", "list", "--owner", "李四", "--json", store=store)
    assert listed.out.count('"owner": "李四"') == 3, listed.out
    result = kehu("customer", "merge", ids[1], ids[2], store=store)
    assert result.code == 0, result.err
    assert profile.read_text(encoding="utf-8").count("notes: 2026-01-01") == 1
    assert kehu("check", store=store).code == 0


def test_check_of_a_clone_on_a_machine_without_git_says_what_it_finds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clone copied to a machine without git (its `.git` with it): `kehu check` asks git what it
    leaves out, and ended in "git is not installed" instead of checking the records; without git
    nothing is ignored, and the check goes on."""
    store = tmp_path / "shop"
    assert kehu("init", str(store)).code == 0
    assert kehu("customer", "add", "--name", "张三", store=store).code == 0
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))
    result = kehu("check", store=store)
    assert result.code == 0, result.err
    assert "ok: 1 customer" in result.out + result.err
