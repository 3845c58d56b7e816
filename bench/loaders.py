"""YAML loaders side by side on the same record files: which one can scan a store.

``python bench/loaders.py [--customers 10000] [--files 20000]`` prints a Markdown table: time per
file and for the whole sample with PyYAML's C loader (kehu's tuned ``FastLoader``), yaml-rs,
rapidyaml (parse, then its own JSON emitter and ``json.loads``, the quickest way to Python
objects it offers) and ruamel.yaml (safe with and without its C loader, and round-trip, on a
tenth of the sample: they are slow). Each loader's records are validated by kehu's models and
compared with yaml-rs's, so a fast loader that reads a file differently shows up as a mismatch,
not as a win.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import yaml  # noqa: E402
import yaml_rs  # noqa: E402
from ruamel.yaml import YAML  # noqa: E402

from bench.storegen import ensure_store  # noqa: E402
from kehu_core.models import Customer, parse_interaction  # noqa: E402
from kehu_core.yamlio import FastLoader  # noqa: E402


def sample(store: Path, limit: int) -> list[tuple[Path, bytes]]:
    files: list[tuple[Path, bytes]] = []
    for folder, _, names in sorted(os.walk(store / "customers")):
        for name in sorted(names):
            path = Path(folder) / name
            if name.endswith(".yaml") and not name.endswith(".ledger.yaml"):
                files.append((path, path.read_bytes()))
            if len(files) >= limit:
                return files
    return files


def validated(path: Path, data: Any) -> Any:
    """The record kehu makes of the parsed data: what must be equal between loaders."""
    if path.name == "customer.yaml":
        return Customer.model_validate(data).model_dump()
    return parse_interaction({**data, "id": path.stem}).model_dump()


def loaders() -> dict[str, Callable[[bytes], Any]]:
    safe = YAML(typ="safe", pure=True)
    safe_c = YAML(typ="safe")  # ruamel.yaml.clib's C loader, if it is installed
    roundtrip = YAML()
    found: dict[str, Callable[[bytes], Any]] = {
        "yaml-rs": lambda raw: yaml_rs.loads(raw.decode(), parse_datetime=False),
        "PyYAML C loader (FastLoader)": lambda raw: yaml.load(raw, Loader=FastLoader),  # noqa: S506
        "ruamel.yaml safe (pure Python)": lambda raw: safe.load(io.BytesIO(raw)),
        "ruamel.yaml safe (C loader, ruamel.yaml.clib)": lambda raw: safe_c.load(io.BytesIO(raw)),
        "ruamel.yaml round-trip": lambda raw: roundtrip.load(io.BytesIO(raw)),
    }
    try:
        import ryml

        found["rapidyaml (parse + emit_json + json.loads)"] = (
            lambda raw: json.loads(ryml.emit_json(ryml.parse_in_arena(raw))))
    except ImportError:
        print("rapidyaml not installed (pip install rapidyaml): skipped", file=sys.stderr)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=20_000)
    args = parser.parse_args()
    files = sample(ensure_store(args.customers, 6.0), args.files)
    reference = {path: validated(path, yaml_rs.loads(raw.decode(), parse_datetime=False)) for path, raw in files}
    rows = []
    for name, load in loaders().items():
        subset = files if "ruamel" not in name else files[: max(1, len(files) // 10)]
        started = time.perf_counter()
        parsed = [load(raw) for _, raw in subset]
        seconds = time.perf_counter() - started
        mismatches = 0
        for (path, _), data in zip(subset, parsed, strict=True):
            try:
                mismatches += validated(path, data) != reference[path]
            except Exception:  # noqa: BLE001 - a loader that breaks validation is a mismatch
                mismatches += 1
        per_file = seconds / len(subset)
        rows.append((name, len(subset), per_file, per_file * len(files), mismatches))
        print(f"  {name}: {per_file * 1e6:.0f} µs a file", file=sys.stderr)
    base = next(r[2] for r in rows if r[0] == "yaml-rs")
    print(f"\n{len(files)} record files of the {args.customers}-customer store\n")
    print("| loader | files timed | per file | whole sample | vs yaml-rs | records differing from yaml-rs |")
    print("|---|---|---|---|---|---|")
    for name, count, per_file, total, mismatches in sorted(rows, key=lambda r: r[2]):
        print(f"| {name} | {count} | {per_file * 1e6:.0f} µs | {total:.2f} s | {per_file / base:.1f}× | {mismatches} |")


if __name__ == "__main__":
    main()
