"""``kehu customer show`` answered from the index alone (kehu_core/cli/show.py) prints what the
store prints: the profile, the plugins' values, the credit status (limits from kehu.yaml and
the customer, what they owe after credit sales, payments and voids), the attitude and the
history — and leaves to the store what only the store can say (a broken file, a confidential
customer, values not fresh for the day)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from kehu_core.cli import Context
from kehu_core.cli.customers import customer_show
from kehu_core.cli.show import show_from_index
from tests.conftest import kehu

CREDIT = """
credit:
  default_limit: 1000
  levels:
    金卡: {limit: 20000, terms_days: 60}
    银卡: {limit: 5000}
attitude:
  loyal_purchases: 2
  categories:
    绿茶: [龙井, 碧螺春, 白茶]
"""


def _shown(ctx: Context, customer_id: str) -> str:
    """``customer show ID`` through this context (a store opened in it: the store's way)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        customer_show.main([customer_id], obj=ctx, standalone_mode=False)
    return out.getvalue()


def _from_index(root: Path, customer_id: str) -> str | None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        answered = show_from_index(Context(root), customer_id)
    return out.getvalue() if answered else None


def _shop(demo_copy: Path) -> tuple[list[str], float]:
    """The demo store with credit rules, credit sales, a partial payment, a payment in full, a
    void and a customer's own limit and terms; the ids, and what the second owed before."""
    with (demo_copy / "kehu.yaml").open("a", encoding="utf-8") as f:
        f.write(CREDIT)
    ids = [line.split("\t")[0] for line in kehu("customer", "list", store=demo_copy).out.splitlines()]
    first, second, third = ids[:3]
    kehu("customer", "set", first, "credit_limit=300", "payment_terms=15", store=demo_copy)
    kehu("customer", "set", second, "level=金卡", store=demo_copy)
    owed = json.loads(kehu("customer", "show", second, "--json", store=demo_copy).out)["credit_status"]["outstanding"]
    sales = []
    for cid, amount in ((first, "120"), (second, "800"), (second, "450.50"), (third, "90")):
        result = kehu("purchase", "add", cid, "--item", "明前龙井", "--amount", amount,
                      "--over-limit", "老客户", store=demo_copy)
        assert result.code == 0, result.err
        sales.append((cid, result.out.strip().splitlines()[-1]))
    assert kehu("purchase", "pay", *sales[1], "--amount", "300", store=demo_copy).code == 0
    assert kehu("purchase", "pay", *sales[3], store=demo_copy).code == 0
    assert kehu("purchase", "void", *sales[2], "--reason", "退货", store=demo_copy).code == 0
    for path in (demo_copy / "customers").rglob("*"):  # written a minute ago, as a person's next command finds them
        os.utime(path, (path.stat().st_mtime - 60, path.stat().st_mtime - 60))
    return ids, owed


def test_every_customer_shown_from_the_index_as_the_store_shows_them(demo_copy: Path) -> None:
    ids, owed = _shop(demo_copy)
    store_ctx = Context(demo_copy)
    store_ctx.store  # noqa: B018 (the store opened: the command answers the store's way)
    from_index = 0
    for cid in ids:
        by_store = _shown(store_ctx, cid)
        by_index = _from_index(demo_copy, cid)
        assert by_index is not None, cid  # everything fresh: every customer from the index
        assert by_index == by_store, cid
        from_index += 1
    assert from_index == 200
    owing = _from_index(demo_copy, ids[1])
    # 800 − 300 more; the voided sale owes nothing
    assert owing is not None and f"owed ¥{owed + 500:,.2f}" in owing and "level 金卡" in owing
    own = _from_index(demo_copy, ids[0])
    assert own is not None and "limit ¥300.00" in own and "terms 15 days" in own


def _run(root: Path, *args: str, today: str = "2026-11-20") -> tuple[subprocess.CompletedProcess[str], set[str]]:
    env = {**os.environ, "KEHU_STORE": str(root), "KEHU_TODAY": today}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "kehu_core", *args],
                          capture_output=True, text=True, env=env)
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return done, modules


def test_a_show_from_the_index_loads_no_store_and_the_store_answers_what_it_cannot(demo_copy: Path) -> None:
    ids, _ = _shop(demo_copy)
    cid = ids[1]
    first, modules = _run(demo_copy, "customer", "show", cid)
    assert first.returncode == 0
    again, modules = _run(demo_copy, "customer", "show", cid)
    assert again.stdout == first.stdout
    assert not {"kehu_core.store", "kehu_core.plugins", "pydantic", "kehu_core.models"} & modules
    # another day: the values kept are not that day's; the store (its plugins) answers
    _, modules = _run(demo_copy, "customer", "show", cid, today="2026-11-21")
    assert "kehu_core.store" in modules
    # a broken interaction file: the store's message (file, line), exit 1, never a short history
    folder = next(demo_copy.glob(f"customers/*/{cid}"))
    bad = folder / "interactions" / "zz-broken.yaml"
    bad.write_text("kind: call\ndate: 2026-13-45\n", encoding="utf-8")
    kehu("reindex", str(bad), store=demo_copy)
    broken, _ = _run(demo_copy, "customer", "show", cid)
    assert broken.returncode == 1 and "zz-broken.yaml" in broken.stderr and broken.stdout == ""
