"""The twentieth round (the lead, 2026-12-06, issue 16). Each test failed on the code before
its fix. See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

from pathlib import Path

from kehu_core.store import open_store

from .pluginutil import add_customer
from .test_hostile_seventeenth_seventeenthb import edit_without_a_terminal


def test_an_editor_with_a_quote_left_open_is_named_not_an_internal_error(store_path: Path) -> None:
    """`EDITOR="vim 'oops"` (a quote left open in a shell profile) ended `kehu edit` in "internal
    error: ValueError: No closing quotation". It is a message naming the variable and its value,
    exit 1, before any copy is made, and the customer is as it was."""
    cid = add_customer(store_path, "赵敏")
    before = open_store(store_path).customer_file(cid).read_bytes()
    for variable, value in (("EDITOR", "vim 'oops"), ("VISUAL", 'code "--wait')):
        code, err = edit_without_a_terminal(store_path, cid, **{variable: value})
        assert code == 1, (value, err)
        assert "internal error" not in err and "Traceback" not in err, err
        assert f"${variable}" in err and repr(value) in err and "quot" in err, err
    assert open_store(store_path).customer_file(cid).read_bytes() == before
