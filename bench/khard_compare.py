"""kehu against khard on the same contacts: ``python bench/khard_compare.py --customers 10000``.

One vCard set is made from a generated store (``kehu export --format vcard``), imported into a
fresh kehu store (``kehu import``) and written as a khard address book (one .vcf per contact, as
khard keeps them). Then both command-line tools list and search, each run as a user would run
it (a new process, output discarded), best of five. Prints a Markdown table with the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import vobject

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.storegen import BENCH_DIR, ensure_store  # noqa: E402

BIN = Path(sys.executable).parent


def run(argv: list[str], env: dict[str, str]) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        best = min(best, time.perf_counter() - start)
    return best


def prepare(customers: int) -> tuple[Path, Path, dict[str, str]]:
    work = BENCH_DIR / f"khard-{customers}"
    kehu_store, book, config = work / "kehu", work / "khard-book", work / "config"
    env = {**os.environ, "XDG_CONFIG_HOME": str(config), "KEHU_STORE": str(kehu_store)}
    if (work / ".ready").exists():
        return kehu_store, book, env
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    source = ensure_store(customers)
    vcf = work / "contacts.vcf"
    subprocess.run([BIN / "kehu", "--store", str(source), "export", "--format", "vcard", str(vcf)], check=True)
    subprocess.run([BIN / "kehu", "init", str(kehu_store)], check=True, env=env)
    subprocess.run([BIN / "kehu", "import", str(vcf)], check=True, env=env, stdout=subprocess.DEVNULL)
    book.mkdir()
    with vcf.open(encoding="utf-8") as handle:
        for n, card in enumerate(vobject.readComponents(handle)):
            (book / f"{n:06d}.vcf").write_text(card.serialize(), encoding="utf-8")
    (config / "khard").mkdir(parents=True)
    (config / "khard" / "khard.conf").write_text(
        f"[addressbooks]\n[[shop]]\npath = {book}\n\n"
        "[general]\ndebug = no\ndefault_action = list\neditor = /bin/true\nmerge_editor = /bin/true\n\n"
        "[contact table]\ndisplay = formatted_name\nsort = last_name\n",
        encoding="utf-8",
    )
    (work / ".ready").touch()
    return kehu_store, book, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=10_000)
    args = parser.parse_args()
    kehu_store, book, env = prepare(args.customers)
    kehu, khard = str(BIN / "kehu"), str(BIN / "khard")
    subprocess.run([kehu, "customer", "list", "--limit", "1"], env=env, check=True, stdout=subprocess.DEVNULL)
    cases = [
        ("list every contact", [kehu, "customer", "list"], [khard, "list"]),
        ("search a name (赵敏)", [kehu, "search", "赵敏"], [khard, "list", "赵敏"]),
        ("search phone digits (1391)", [kehu, "search", "1391"], [khard, "list", "1391"]),
    ]
    print(f"\n{args.customers} contacts, one vCard set imported into both; wall time of the CLI, best of 5\n")
    print("| task | kehu | khard | khard / kehu |")
    print("|---|---|---|---|")
    for title, kehu_argv, khard_argv in cases:
        ours, theirs = run(kehu_argv, env), run(khard_argv, env)
        print(f"| {title} | {ours:.2f} s | {theirs:.2f} s | {theirs / ours:.1f}× |")


if __name__ == "__main__":
    main()
