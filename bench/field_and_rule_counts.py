"""Many fields and many rules, timed as a user waits for them: ``python bench/field_and_rule_counts.py``.

Each a whole process, the median of ``--runs`` (default 3), its CPU time (user + system) beside
it, which a busy machine varies far less. Prints a Markdown table.

* ``kehu customer set ID nickname=x`` of a profile holding ``--fields`` fields of its own (a
  colleague's script, arriving by ``kehu sync``; default 100 000, 1 MB, within a record's 2 MiB
  and its 200 000 values): the round-trip editor (ruamel) reads and writes each;
* ``kehu check`` of two customers with an installed plugin whose ``customer_fields`` declares
  ``--declared`` fields (default 20 000): every command that reads a profile builds the
  store's model of them (``check``, ``reminders``, ``customer set``; a list answered from the
  index does not);
* ``kehu reminders`` of 100 customers with an installed plugin giving ``--rules`` reminder rules
  (default 2 000): each rule is asked of each customer.

Each beside the same command without the many: its floor.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.startup import kehu_argv, wall  # noqa: E402

DAY = "2026-11-20"
FIELDS = '''
from kehu_core import hookimpl


@hookimpl
def customer_fields():
    return {{f"f{{i}}": (str | None, None) for i in range({count})}}
'''
RULES = '''
from kehu_core import hookimpl


class Rule:
    def __init__(self, n):
        self.name = f"r{{n}}"

    def due(self, store, customer, history, start, end):
        return []


@hookimpl
def reminder_rules(store):
    return [Rule(n) for n in range({count})]
'''


def kehu(env: dict[str, str], *args: str) -> str:
    return subprocess.run([*kehu_argv(), *args], env=env, check=True, capture_output=True, text=True).stdout


def new_store(path: Path, env: dict[str, str]) -> dict[str, str]:
    subprocess.run([*kehu_argv(), "init", str(path), "--no-git"], env=env, check=True, capture_output=True)
    return {**env, "KEHU_STORE": str(path)}


def plugin(site: Path, package: str, text: str) -> dict[str, str]:
    """A plugin installed as a third party's (its entry point), on PYTHONPATH."""
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text(text, encoding="utf-8")
    dist = site / f"{package}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(f"[kehu]\n{package} = {package}\n", encoding="utf-8")
    return {"PYTHONPATH": os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fields", type=int, default=100_000)
    parser.add_argument("--declared", type=int, default=20_000)
    parser.add_argument("--rules", type=int, default=2_000)
    args = parser.parse_args(argv)
    env = {**os.environ, "KEHU_TODAY": DAY}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled modules, as a user's installation runs
    rows: list[tuple[str, list[str], dict[str, str]]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        shop = new_store(tmp / "shop", env)
        cid = kehu(shop, "customer", "add", "--name", "李雷").strip()
        other = kehu(shop, "customer", "add", "--name", "韩梅梅").strip()
        profile = next((tmp / "shop" / "customers").glob(f"*/{cid}/customer.yaml"))
        profile.write_text(f"id: {cid}\nname: 李雷\n" + "".join(f"f{i}: v\n" for i in range(args.fields)),
                           encoding="utf-8")
        rows.append(("kehu customer set: a profile of 2 fields", [*kehu_argv(), "customer", "set", other,
                                                                  "nickname=x"], shop))
        rows.append((f"kehu customer set: a profile of {args.fields:,} fields of its own",
                     [*kehu_argv(), "customer", "set", cid, "nickname=x"], shop))
        fields = new_store(tmp / "fields", env)
        kehu(fields, "customer", "add", "--name", "李雷")
        kehu(fields, "customer", "add", "--name", "韩梅梅")
        declared = {**fields, **plugin(tmp / "site-fields", "many_fields", FIELDS.format(count=args.declared))}
        rows.append(("kehu check: 2 customers", [*kehu_argv(), "check"], fields))
        rows.append((f"kehu check: 2 customers, a plugin declaring {args.declared:,} fields",
                     [*kehu_argv(), "check"], declared))
        many = new_store(tmp / "many", env)
        sheet = tmp / "many.csv"
        sheet.write_text("姓名,手机\n" + "".join(f"客{i},139{i:08d}\n" for i in range(100)), encoding="utf-8")
        kehu(many, "import", str(sheet))
        ruled = {**many, **plugin(tmp / "site-rules", "many_rules", RULES.format(count=args.rules))}
        rows.append(("kehu reminders: 100 customers", [*kehu_argv(), "reminders"], many))
        rows.append((f"kehu reminders: 100 customers, a plugin of {args.rules:,} rules",
                     [*kehu_argv(), "reminders"], ruled))
        print(f"\nmedian of {args.runs} whole-process runs\n")
        print("| command | median wall | CPU (user+sys) | exit | runs |")
        print("|---|---|---|---|---|")
        for title, command, where in rows:
            code = subprocess.run(command, env=where, capture_output=True).returncode
            median, times, cpu = wall(command, where, args.runs, check=False)
            runs = " ".join(f"{t * 1000:.0f}" for t in times)
            print(f"| {title} | {median * 1000:.0f} ms | {cpu * 1000:.0f} ms | {code} | {runs} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
