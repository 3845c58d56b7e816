"""A plugin that prints (issue 16, kind 9): `print()` in a hook went to stdout before the
command's own output, so `customer list --json` was no JSON, with exit 0. What a hook prints
now goes to stderr; stdout is the command's."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from kehu_core.hookspecs import hookimpl
from kehu_core.testing import make_store, run_kehu


class Noisy:
    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        print("noisy: working on", customer.name)
        sys.stdout.write("noisy: more\n")
        return {"noisy": 1}

    @hookimpl
    def validate_customer(self, store: Any, customer: Any) -> list[str]:
        print("noisy: validating")
        return []


def test_what_a_plugin_prints_never_mixes_with_json(tmp_path: Path) -> None:
    store = make_store(tmp_path, customers=[{"name": "赵敏"}], plugins={"noisy": Noisy()})
    cid = next(iter(store.iter_customer_ids()))
    for argv in (["customer", "list", "--json"], ["customer", "show", cid, "--json"], ["search", "赵", "--json"]):
        result = run_kehu(store, *argv)
        assert result.code == 0, result.err
        data = json.loads(result.out)  # only JSON on stdout
        assert "noisy: working on 赵敏" in result.err
        shown = data[0] if isinstance(data, list) else data
        assert shown["noisy"] == 1
