"""The twenty-fifth round's outside check of kinds 5, 6, 7 and 9 (issue 16): new variants of
git merges, concurrent imports, exports and plugins, tried with real clones of a real bare
remote and the real commands. Each test failed on the code before its fix."""

from __future__ import annotations

from pathlib import Path

from kehu_core.ids import shard

from .conftest import git, kehu
from .test_hostile_git import team  # noqa: F401 (a fixture)
from .test_hostile_limits import no_traceback
from .test_team_merge import ok, remote  # noqa: F401 (remote: a fixture)


def test_a_colleagues_gitignore_leaving_out_some_customers_records_is_refused(
        team: tuple[Path, Path, str]) -> None:  # noqa: F811
    """A colleague commits (plain git) a `.gitignore` into a customer's folder (`*.yaml`, then
    `!customer.yaml`), or a line `customers/<shard>/` into the store's own `.gitignore`: rules
    of some folders, which the probe of one file of each kind (`customers/ab/c1abc/…`) never
    met. `kehu sync` merged them with exit 0, and from then on every new note, sale or point of
    those customers stayed in this clone ("nothing new to commit", `kehu check` ok). Now the
    sync refuses such a `.gitignore` before the merge (among the records kehu writes none; the
    store's own is asked of each customer's folder the merge brings), the clone as it was; and
    a record file that git leaves out, however the rule came (a rule of days, `2027-*`), is a
    problem of `check` at the rule's line naming the file, so the sync commits nothing."""
    a, b, cid = team
    folder = f"customers/{shard(cid)}/{cid}"
    before = git(a, "rev-parse", "HEAD")
    (b / folder / ".gitignore").write_text("*.yaml\n!customer.yaml\n", encoding="utf-8")
    git(b, "add", "-f", f"{folder}/.gitignore")
    git(b, "commit", "-qm", "a folder's own ignores")
    git(b, "push", "-q")
    synced = kehu("sync", store=a)
    no_traceback(synced)
    assert synced.code == 1, synced.out + synced.err
    assert f"{folder}/.gitignore: a .gitignore among the records" in synced.err, synced.err
    assert git(a, "rev-parse", "HEAD") == before and not (a / folder / ".gitignore").exists()
    git(b, "revert", "--no-edit", "HEAD")
    (b / ".gitignore").write_text((b / ".gitignore").read_text(encoding="utf-8") + f"customers/{shard(cid)}/\n",
                                  encoding="utf-8")
    git(b, "commit", "-qam", "ignore a shard")
    git(b, "push", "-q")
    synced = kehu("sync", store=a)
    assert synced.code == 1, synced.out + synced.err
    assert f".gitignore: leaves out {folder}/customer.yaml" in synced.err, synced.err
    assert git(a, "rev-parse", "HEAD") == before
    # a rule no probe meets (a month), made in this clone: named once the file is there
    (a / ".gitignore").write_text((a / ".gitignore").read_text(encoding="utf-8") + "2026-11-*\n",
                                  encoding="utf-8")
    assert kehu("check", store=a).code == 0
    note = ok("interaction", "add", cid, "--kind", "call", "--date", "2026-11-20", "--text", "来电", store=a).strip()
    checked = kehu("check", store=a)
    said = checked.out + checked.err
    assert checked.code == 1 and f".gitignore:3: 2026-11-*: git leaves out {folder}/interactions/{note}.yaml" in said
    synced = kehu("sync", store=a)
    assert synced.code == 1 and "2026-11-*: git leaves out" in synced.err, synced.err
    assert git(a, "rev-parse", "HEAD") == before


FORKING = '''
import os
from kehu_core.hookspecs import hookimpl


@hookimpl
def interaction_saved(store, customer, interaction):
    os.fork()  # a worker of its own it meant to start, coming back here in both processes
'''


def test_a_process_a_plugins_hook_forks_never_runs_the_rest_of_the_command(tmp_path: Path) -> None:
    """A plugin whose `interaction_saved` forks (a worker of its own, `os.fork()`, the child
    returning from the hook as the parent does): the child went on with kehu's command, so an
    import of three sales ran its rest eight times beside itself (its summary printed eight
    times, seven "internal error: RuntimeError: UnixFileLock ... inherited across fork"),
    holding the store's lock with its parent. The child now ends where it comes back to kehu,
    saying so on stderr; the import is made and said once."""
    import os
    import subprocess
    import sys

    from .pluginutil import installed_plugin

    site = installed_plugin(tmp_path / "site", "forking_kehu", "forking", FORKING)
    store = tmp_path / "shop"
    assert kehu("init", str(store)).code == 0
    sheet = tmp_path / "sales.csv"
    sheet.write_text("姓名,手机,商品,金额,日期\n王五,13912340001,茶,10,2026-11-03\n"
                     "赵六,13912340002,茶,20,2026-11-04\n钱七,13912340003,茶,30,2026-11-05\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store), "import", str(sheet)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert done.stdout.count("3 created") == 1, done.stdout
    assert "a process a plugin forked came back to kehu" in done.stderr
    checked = kehu("check", store=store)
    assert checked.code == 0 and "3 customers" in checked.err, checked.err


def test_a_carriage_return_inside_a_ledger_line_is_named_where_git_sees_one_line(store_path: Path) -> None:
    """A colleague's hand edit (or another tool) writes two entries of a points ledger on one
    line, a carriage return (CR) alone between them: YAML reads a line break there and git does
    not, so git's union merge took the two for one line (two clones each voiding one of them
    brought both back), while `kehu check` said ok and `kehu points` counted both. Now `check`
    and `kehu points` name the line; a ledger of CRLF lines, and a reason holding a CR (written
    escaped), are no problem."""
    cid = ok("customer", "add", "--name", "张三", store=store_path).strip()
    ledger = store_path / "customers" / shard(cid) / cid / "points.ledger.yaml"
    ledger.write_bytes(b"# points ledger\r\n- {id: zz0, date: 2026-11-01, delta: 50, reason: given}\r\n")
    assert kehu("check", store=store_path).code == 0  # CRLF lines: one entry a line
    ok("points", "redeem", cid, "3", "--reason", "a\rb", store=store_path)
    assert kehu("check", store=store_path).code == 0  # the CR of a reason is written escaped
    ledger.write_bytes(ledger.read_bytes() + b"- {id: zz1, date: 2026-11-03, delta: 7, reason: x}\r"
                                              b"- {id: zz2, date: 2026-11-03, delta: 9, reason: y}\r\n")
    for args in (("check",), ("points", cid)):
        result = kehu(*args, store=store_path)
        no_traceback(result)
        said = result.out + result.err
        assert result.code == 1 and "points.ledger.yaml:4: a carriage return (CR) inside this line" in said, said
