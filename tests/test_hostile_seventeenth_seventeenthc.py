"""The seventeenth outside round (seventeenthc, 2026-12-06), kinds 7 to 9: sheets whose headings
are no names, a bad cell named by its place, plugins that change the process's environment or
umask, names that look alike in two scripts. Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import stat
from pathlib import Path

from .conftest import TODAY
from .test_hostile_sixteenth_sixteenthc import _kehu_beside


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
