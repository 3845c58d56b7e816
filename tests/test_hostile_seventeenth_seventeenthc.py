"""The seventeenth outside round (seventeenthc, 2026-12-06), kinds 7 to 9: sheets whose headings
are no names, a bad cell named by its place, plugins that change the process's environment or
umask, names that look alike in two scripts. Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import stat
from pathlib import Path

from . import test_hostile_limits
from .conftest import TODAY, kehu
from .test_hostile_sixteenth_sixteenthc import _kehu_beside

no_traceback = test_hostile_limits.no_traceback


def test_a_plugins_environment_and_umask_do_not_outlast_its_hook(tmp_path: Path) -> None:
    """An installed plugin whose hook sets ``os.umask(0)`` and ``os.environ`` (KEHU_TODAY, TZ,
    GIT_DIR) as it checks a customer: kehu then made the customer's folder world-writable, dated
    what it wrote by the plugin's day and ran git on the plugin's repository. Only the working
    folder was taken back after a hook; the environment and the umask are now too."""
    store, run = _kehu_beside(tmp_path, (
        "import os\n"
        "from kehu_core import hookimpl\n"
        "@hookimpl\n"
        "def validate_customer(store, customer):\n"
        "    wander()\n"
        "    return []\n"
        "@hookimpl\n"
        "def customer_values(store, customer):\n"
        "    mask = os.umask(0o077)\n"
        "    import sys; print('seen', os.environ.get('KEHU_TODAY'), os.environ.get('TZ'), 'GIT_DIR' in os.environ,\n"
        "                      oct(mask), file=sys.stderr)\n"
        "    wander()\n"
        "    return {}\n"
        "def wander():\n"
        "    os.umask(0)\n"
        "    os.environ['KEHU_TODAY'] = '2031-01-02'\n"
        "    os.environ['TZ'] = 'Pacific/Kiritimati'\n"
        f"    os.environ['GIT_DIR'] = {str(tmp_path / 'elsewhere')!r}\n"
        "    os.environ.pop('HOME', None)\n"), "setsenv")
    done = run("customer", "add", "--name", "赵敏")
    assert done.returncode == 0, done.stderr
    cid = done.stdout.strip()
    done = run("interaction", "add", cid, "--kind", "call", "--text", "问好")
    assert done.returncode == 0, done.stderr
    shown = run("customer", "show", cid)
    assert shown.returncode == 0, shown.stderr
    assert "2031" not in shown.stdout and TODAY.isoformat() in shown.stdout, shown.stdout
    for path in (store / "customers").rglob("*"):
        assert not path.stat().st_mode & stat.S_IWOTH, (path, oct(path.stat().st_mode))
    assert not (tmp_path / "elsewhere").exists()
    assert run("customer", "add", "--name", "钱多多").returncode == 0
    listed = run("customer", "list", "--json")  # each customer's values: a hook asked twice
    assert listed.returncode == 0, listed.stderr
    seen = [line for line in listed.stderr.splitlines() if line.startswith("seen")]
    assert len(seen) >= 2 and len(set(seen)) == 1, seen
    assert "2031" not in seen[0] and "Kiritimati" not in seen[0] and "True" not in seen[0], seen


def test_names_that_look_alike_in_two_scripts_are_duplicates_and_a_mixed_name_is_warned(tmp_path: Path) -> None:
    """A second Anna whose A is Cyrillic (U+0410), a KATE written in Greek capitals (ΚΑΤΕ), a
    fullwidth Ｂob: each showed as the other in the TUI and in a spreadsheet, and `kehu
    duplicates` did not name them (their phones unrelated, the names different code points).
    Now they are grouped by the names' look (NFKC, and the Cyrillic and Greek letters that look
    Latin: ``textsearch.look_alike_key``), and `kehu check` warns of a name mixing Latin letters
    with Cyrillic or Greek ones, exit 0."""
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    ids = {}
    for name, phone in (("Anna Lee", "13900000001"), ("\u0410nna Lee", "13600000002"), ("KATE", "13700000003"),
                        ("\u039a\u0391\u03a4\u0395", "13800000004"), ("Bob", "13500000005"),
                        ("\uff22ob", "13300000006"), ("Anna Li", "13100000007"), ("Иван", "13200000008")):
        done = kehu("customer", "add", "--name", name, "--phone", phone, store=store)
        assert done.code == 0, done.err
        ids[name] = done.out.strip()
    found = kehu("duplicates", "--json", store=store)
    assert found.code == 0, found.err
    groups = sorted(sorted(group["names"]) for group in found.json())
    assert groups == [sorted(["Anna Lee", "\u0410nna Lee"]), sorted(["Bob", "\uff22ob"]),
                      sorted(["KATE", "\u039a\u0391\u03a4\u0395"])], groups
    assert all(d["kind"] == "look_alike" for group in found.json() for d in group["details"]), found.out
    checked = kehu("check", store=store)
    assert checked.code == 0, checked.out + checked.err
    no_traceback(checked)
    warned = [line for line in checked.out.splitlines() if "warning" in line]
    assert len(warned) == 1 and ids["\u0410nna Lee"] in warned[0] and ":2: warning: name" in warned[0], checked.out
    assert "Cyrillic" in warned[0] and "\u0410" in warned[0], checked.out
