"""Generated stores for the benchmarks, cached so a second run does not pay for them again.

``ensure_store(n)`` returns ``$KEHU_BENCH_DIR/store-<n>`` (default under /tmp), generating it
with the demo generator in parallel chunks (one per core) if it is not there yet.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from kehu_core.demo import generate

BENCH_DIR = Path(os.environ.get("KEHU_BENCH_DIR", "/tmp/kehu-bench"))
CHUNK = 5000


def _part(args: tuple[str, int, int, float]) -> int:
    root, first, count, per_customer = args
    return generate(Path(root), count, seed=2026 + first, first=first,
                    interactions_per_customer=per_customer)


def ensure_store(customers: int, interactions_per_customer: float = 6.0) -> Path:
    root = BENCH_DIR / f"store-{customers}-{interactions_per_customer:g}"
    done = root / ".generated"
    if done.exists():
        return root
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    jobs = [(str(root), first, min(CHUNK, customers - first), interactions_per_customer)
            for first in range(0, customers, CHUNK)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        files = sum(pool.map(_part, jobs))
    done.write_text(f"{files}\n")
    return root
