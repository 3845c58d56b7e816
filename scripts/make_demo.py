"""Regenerate the bundled demo store: ``python scripts/make_demo.py records``.

The seed is fixed, so the output is the same on every machine; commit the result.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from kehu_core.cli import run
from kehu_core.demo import TODAY, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", type=Path)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if (args.target / "customers").exists():
        shutil.rmtree(args.target / "customers")
    files = generate(args.target, args.customers, seed=args.seed)
    print(f"wrote {files} files to {args.target}")
    # The demo shop has run kehu all year: points earned for every purchase, tier moves recorded.
    for command in (["points", "rebuild"], ["tier", "record", "--as-of", TODAY.isoformat()]):
        if run(["--store", str(args.target), *command]) != 0:
            raise SystemExit(f"kehu {' '.join(command)} failed on the demo store")


if __name__ == "__main__":
    main()
