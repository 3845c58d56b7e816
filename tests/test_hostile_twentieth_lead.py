"""The twentieth round (the lead, 2026-12-06, issue 16). Each test failed on the code before
its fix. See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

from pathlib import Path

import pytest
import vobject

from kehu_core.store import open_store

from .conftest import kehu
from .pluginutil import add_customer
from .test_hostile_seventeenth_seventeenthb import edit_without_a_terminal
from .test_serve import DAY, card_url, serving, show


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


def test_a_note_typed_on_the_phone_below_kehus_block_is_kept(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A card's NOTE is the customer's notes, then kehu's block (`—— kehu ——`, the latest
    interactions, what is due). A rep who typed below the block on the phone (where the cursor
    lands) lost those words without a word: everything after the mark was taken as kehu's.
    kehu's own lines are taken off; what follows them is kept, above the block next time, and
    the notes typed above it stay as they were."""
    with serving(tmp_path_factory, "lead-note") as server:
        cid = server.ids["赵敏"]
        assert kehu("--today", DAY, "customer", "set", cid, "notes=likes green tea", store=server.root).code == 0
        sold = kehu("--today", DAY, "purchase", "add", cid, "--amount", "128", "--item", "龙井", "--paid",
                    store=server.root)
        assert sold.code == 0, sold.err
        session = server.session("wangfang")
        url = card_url(server, "wangfang", "赵敏")
        fetched = session.get(url)
        card = vobject.readOne(fetched.text)
        note = card.note.value
        assert "—— kehu ——" in note and "龙井" in note  # the block, as the phone shows it
        card.note.value = note + "\n\n下次带样品 call before 3pm"
        answer = session.put(url, data=card.serialize().encode(),
                             headers={"If-Match": fetched.headers["ETag"], "Content-Type": "text/vcard"})
        assert answer.status_code == 204, answer.text
        assert show(server, cid)["notes"] == "likes green tea\n\n下次带样品 call before 3pm"
        again = vobject.readOne(session.get(url).text).note.value
        assert again.startswith("likes green tea\n\n下次带样品 call before 3pm\n\n—— kehu ——")
        # the block itself, sent back untouched, adds nothing to the notes
        fetched = session.get(url)
        answer = session.put(url, data=fetched.text.encode(),
                             headers={"If-Match": fetched.headers["ETag"], "Content-Type": "text/vcard"})
        assert answer.status_code == 204, answer.text
        assert show(server, cid)["notes"] == "likes green tea\n\n下次带样品 call before 3pm"
