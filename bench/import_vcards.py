"""Import of a big vCard file into a fresh store: ``python bench/import_vcards.py [--cards N]``.

The cards are the first N of the 100 000-customer bench store exported as vCard 3.0 (``kehu
export --format vcard``; the export is kept in the bench folder). Each run imports them with the
real ``kehu import`` command, in its own process, into a store just made by ``kehu init``, and
prints the wall time a user waits and the CPU (user + sys) of the whole process tree: the
workers that parse the cards are children of that process, waited for, so their CPU is counted.
Target (issue 15): 20 000 cards in at most 20 s on the 2-core machine, idle.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.storegen import BENCH_DIR, ensure_store  # noqa: E402

BIN = Path(sys.executable).parent


def card_file(cards: int) -> Path:
    """The first ``cards`` cards of the 100 000 store's export (made once, then kept)."""
    path = BENCH_DIR / f"cards-{cards}.vcf"
    if path.exists():
        return path
    whole = BENCH_DIR / "cards-100000.vcf"
    if not whole.exists():
        source = ensure_store(100_000)
        subprocess.run([BIN / "kehu", "--store", str(source), "export", "--format", "vcard", str(whole)],
                       check=True)
    with whole.open(encoding="utf-8", newline="") as src, path.open("w", encoding="utf-8", newline="") as out:
        seen = 0
        for line in src:
            out.write(line)
            if line.strip().upper() == "END:VCARD":
                seen += 1
                if seen == cards:
                    break
    return path


def run_once(vcf: Path, source: Path | None = None) -> tuple[float, float]:
    """(wall, CPU of the import's whole process tree) of one import into a fresh store;
    ``source``: a checkout of kehu to run instead of the installed one."""
    with tempfile.TemporaryDirectory(prefix="kehu-vcf-") as tmp:
        store = Path(tmp) / "store"
        env = {**os.environ, "KEHU_STORE": str(store), "XDG_CONFIG_HOME": str(Path(tmp) / "config")}
        kehu = [str(BIN / "kehu")]
        if source is not None:
            env["PYTHONPATH"] = str(source)
            kehu = [sys.executable, "-m", "kehu_core"]
        subprocess.run([*kehu, "init", str(store)], check=True, env=env, stdout=subprocess.DEVNULL)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run([*kehu, "import", str(vcf)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode not in (0, 1):  # 1: some cards were problems, said on stderr
            raise SystemExit(done.stderr)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        shutil.rmtree(store, ignore_errors=True)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--against", type=Path, metavar="CHECKOUT",
                        help="another checkout of kehu (before a change): runs alternate between the two")
    args = parser.parse_args()
    vcf = card_file(args.cards)
    versions: list[tuple[str, Path | None]] = [("this", None)]
    if args.against:
        versions.insert(0, (str(args.against), args.against))
    for n in range(args.runs):
        for label, source in versions:
            load = os.getloadavg()[0]
            wall, cpu = run_once(vcf, source)
            print(f"run {n + 1} {label}: {args.cards} cards, wall {wall:.1f} s, CPU {cpu:.1f} s "
                  f"(load before {load:.1f})", flush=True)


if __name__ == "__main__":
    main()
