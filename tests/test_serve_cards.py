"""The cards ``kehu serve`` makes for a book made whole are the cards the plain rules make.

A book made whole takes shortcuts for speed (each plugin's answers remembered and merged
without calling the plugins again, the reminder rules' first days and greeting words worked
out once a pass, the names' pinyin sort keys read from the index): a phone must see exactly
what the plain path gives, byte for byte, and the ETags it keeps must not move. Here each card
is made again the plain way (the plugins asked one customer at a time, vobject writing the
card with the pinyin worked out again) and compared, before and after a rename in kehu.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from kehu_core.serve import cards as card_rules
from kehu_core.serve import notes
from kehu_core.services.vcards import vcard_of
from kehu_core.store import open_store
from tests.conftest import kehu
from tests.test_serve import DAY, make_store


def plain(store, customer) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """(revision, vCard text by version) of a customer, made without any shortcut."""
    values = store.plugins.values(store, customer)  # no remembering: every plugin asked
    computed = {k: values[k] for k in card_rules.COMPUTED if values.get(k) not in (None, "")}
    recent = card_rules._recent(store, [customer.id]).get(customer.id, [])
    note = notes.note_of(customer, recent, values.get("next_reminder"))
    data = customer.model_dump(mode="json")
    source = json.dumps([data, computed, note], ensure_ascii=False, sort_keys=True, default=str)
    revision = hashlib.sha1(f"{card_rules.CARD_FORMAT}|{source}".encode()).hexdigest()
    texts = {version: vcard_of(customer, version=version, apple=version == "3.0", computed=computed,
                               note=note or "", uid=customer.id, sort_as=True)
             for version in ("3.0", "4.0")}
    return revision, texts


def check_book(root: Path) -> None:
    store = open_store(root, today=DAY)
    ids = sorted(row.customer.id for row in store.index.list(order="id"))
    made = card_rules.cards_by_id(store, ids)
    assert [card.customer_id for card in made] == ids
    rendered = {version: card_rules.render(store, made, version == "3.0") for version in ("3.0", "4.0")}
    for card in made:
        revision, texts = plain(store, store.get(card.customer_id))
        assert card.revision == revision, card.customer_id
        for version, text in texts.items():
            assert rendered[version][card.customer_id] == text, (card.customer_id, version)


def test_a_book_made_whole_gives_the_plain_cards_byte_for_byte(tmp_path: Path) -> None:
    root = tmp_path / "store"
    ids = make_store(root)
    # a purchase (tier, points, greeting and survey), a visit, a holiday window: values to compute
    for name in ("赵敏", "李四"):
        assert kehu("--today", DAY, "purchase", "add", ids[name], "--date", "2026-11-18", "--item", "龙井",
                    "--amount", "880", store=root).code == 0
    assert kehu("--today", DAY, "interaction", "add", ids["张三"], "--kind", "visit", "--date", "2026-11-01",
                "--text", "送样品", store=root).code == 0
    check_book(root)
    # renamed in kehu: the new name's pinyin on the card, as worked out again
    assert kehu("--today", DAY, "customer", "set", ids["李四"], "name=Zhang Wei", store=root).code == 0
    assert kehu("--today", DAY, "customer", "set", ids["赵敏"], "name=欧阳娜娜", store=root).code == 0
    check_book(root)
    text = card_rules.render(open_store(root, today=DAY), card_rules.cards_by_id(
        open_store(root, today=DAY), [ids["赵敏"]]), False)[ids["赵敏"]]
    assert "N;SORT-AS=ou yang na na:欧阳娜娜" in text.replace("\r\n ", "")
