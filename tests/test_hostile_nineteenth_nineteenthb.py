"""The nineteenth round (nineteenthb, 2026-12-06): the speed of `kehu check` and `kehu tier`.
What each speed-up changed in a code path is held here by what a user would notice; each test
failed on the code path broken the way a careless speed-up would break it. See
docs/benchmarks.md for the measurements."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from kehu_core import hookimpl
from kehu_core.testing import make_store, run_kehu

from . import test_hostile_limits
from .conftest import kehu
from .pluginutil import configure

no_traceback = test_hostile_limits.no_traceback


class _Fit(BaseModel):
    width: int | None = None
    note: str | None = None


class _NestedNumbers:
    """A third party's fields whose numbers are inside a mapping, a model or a list of models,
    beside fields holding no number (text, anything)."""

    @hookimpl
    def customer_fields(self) -> dict[str, tuple[Any, Any]]:
        return {"sizes": (dict[str, int], {}), "fit": (_Fit | None, None), "fits": (list[_Fit], []),
                "label": (str | None, None), "anything": (Any, None)}


def test_a_plugins_number_inside_a_mapping_or_a_model_is_read_by_the_rule_of_every_number(tmp_path: Path) -> None:
    """Whether a plugin field's type holds a number anywhere is now worked out once, when the
    field is guarded (``models.fields.reads_numbers``), instead of its annotation walked on every
    value of every profile `kehu check` reads. A number written `1_000` inside a mapping, a model
    or a list of models is still refused at its line; a text field holding `1_000` is text."""
    store = make_store(tmp_path / "shop", plugins={"nested": _NestedNumbers()})
    cid = run_kehu(store, "customer", "add", "--name", "赵敏").out.strip()
    path = store.customer_file(cid)
    plain = "".join(line for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
                    if not line.startswith(("sizes:", "fits:", "fit:", "label:", "anything:")))
    path.write_text(plain + "label: 1_000\nanything: 1_000\nsizes: {eu: 38}\nfit: {width: 3, note: 1_0}\n",
                    encoding="utf-8")
    checked = run_kehu(store, "check")
    assert checked.code == 0, checked.out + checked.err
    for written, value in (("sizes: {eu: 1_000}\n", "'1_000'"), ("fit: {width: 1_0}\n", "'1_0'"),
                           ("fits: [{width: 2}, {width: '٣'}]\n", "'٣'")):
        path.write_text(plain + written, encoding="utf-8")
        checked = run_kehu(store, "check")
        no_traceback(checked)
        assert checked.code == 1, (written, checked.out + checked.err)
        line = len(plain.splitlines()) + 1
        field = written.split(":")[0]
        assert f"customer.yaml:{line}: {field}" in checked.out, checked.out
        assert f"{value} is not a number kehu reads" in checked.out, checked.out


def test_the_tier_table_lists_the_first_of_each_tier_and_counts_the_rest_as_json_has_them(demo_copy: Path) -> None:
    """`kehu tier` made a row for every customer of the store to print five of each tier; the
    distribution now makes rows only for the customers the table lists (``listed``), its counts
    and sums still the whole store's. Each tier's line, the customers it lists (a pinned one
    marked) and its "... N more" are those of `kehu tier --json`, whatever --show is."""
    configure(demo_copy, tiering={"as_of": "2026-11-20"})
    data = kehu("tier", "--json", store=demo_copy).json()
    top = data["tiers"]["重要客户"][0]["id"]
    assert kehu("tier", "set", top, "小客户", store=demo_copy).code == 0
    data = kehu("tier", "--json", store=demo_copy).json()
    assert [p["id"] for p in data["tiers"]["小客户"]].count(top) == 1
    for show in (0, 1, 3, 1000):
        table = kehu("--lang", "en", "tier", "--show", str(show), store=demo_copy)
        assert table.code == 0, table.err
        lines = table.out.splitlines()
        for d in data["distribution"]:
            head = next(n for n, line in enumerate(lines) if f" {d['customers']:>5} customers (" in line
                        and f"¥{d['revenue']:>12} " in line)
            people = data["tiers"][d["tier"]]
            listed = lines[head + 1:head + 1 + min(show, len(people))]
            assert [line.split()[0] for line in listed] == [p["id"] for p in people[:show]], (show, lines)
            assert all(line.endswith("(manual)") == (p["id"] == top) for line, p in zip(listed, people, strict=False))
            after = lines[head + 1 + len(listed)] if head + 1 + len(listed) < len(lines) else ""
            more = len(people) - show
            assert (after == f"      ... {more} more") if more > 0 else "more" not in after, (show, after)


def test_the_first_list_by_a_value_on_a_fresh_index_is_the_list_every_value_made_gives(
        demo_copy: Path, tmp_path: Path) -> None:
    """The first `customer list --tier X` on a fresh index (a clone, a deleted .kehu) made every
    plugin's values of every customer to learn which plugin gives the tier; now one customer's
    values of every plugin say it (``derived_values._givers``), that plugin's values are made for
    everyone and the others' for the customers listed. The list, each customer's values with it
    (the next reminder, the points), is the one every customer's values give, by tier and sorted
    by a value (points, the tier), on a fresh index each time."""
    configure(demo_copy, tiering={"as_of": "2026-11-20"})
    fresh = tmp_path / "fresh"
    shutil.copytree(demo_copy, fresh)
    everyone = kehu("customer", "list", "--json", store=demo_copy)  # every value of everyone made
    assert everyone.code == 0, everyone.err
    by_name = everyone.json()
    for argv, expected in ((["--tier", "主要客户"], [c for c in by_name if c["tier"] == "主要客户"]),
                           (["--tier", "重要客户", "--sort", "points"],
                            sorted((c for c in by_name if c["tier"] == "重要客户"), key=lambda c: -c["points"])),
                           (["--sort", "tier", "--limit", "30"], None)):
        shutil.rmtree(fresh / ".kehu", ignore_errors=True)
        first = kehu("customer", "list", *argv, "--json", store=fresh)
        assert first.code == 0, first.err
        again = kehu("customer", "list", *argv, "--json", store=demo_copy)  # on the index holding every value
        assert first.json() == again.json(), argv
        if expected is not None:
            assert [c["id"] for c in first.json()] == [c["id"] for c in expected], argv
        assert first.json() and all({"tier", "points", "next_reminder"} <= set(c) for c in first.json()), argv
