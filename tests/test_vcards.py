"""kehu's vCard writer (kehu_core.services.vcards) on values that need escaping and folding.

The cards are made and written by vobject; these tests read them back with vobject and with
kehu's own vCard reader, as a phone and ``kehu import`` do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import vobject
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu_core.models import Customer
from kehu_core.services.importing.vcard import contact_from_card
from kehu_core.services.vcards import serialize, vcard_of

TRICKY = {
    "id": "c-tricky", "name": "欧阳娜娜,;\\x", "phones": ["+8613800138000", "+8613900139000"],
    "emails": ["a@example.cn", "b@example.cn"], "addresses": ["杭州市西湖区文三路,99号;2楼\n后门" * 3],
    "organization": "西湖, 茶庄; 有限公司", "title": "店长\\经理", "nickname": "小,欧", "birthday": "--04-12",
    "tags": ["a\\b", "c:d", "VIP"], "notes": "第一行\n第二行, 带逗号; 分号\r\n" + "长" * 60 + "x" * 90,
}


def _customer() -> Customer:
    return Customer.model_validate(TRICKY, context={"region": "CN"})


def test_every_line_is_folded_to_75_bytes_and_unfolds_to_the_values() -> None:
    for version in ("3.0", "4.0"):
        text = vcard_of(_customer(), version=version, sort_as=True, computed={"tier": "主要客户"})
        assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n")), version
        card = vobject.readOne(text)
        assert card.fn.value == TRICKY["name"]
        assert card.org.value == [TRICKY["organization"]]
        assert card.title.value == TRICKY["title"]
        assert card.nickname.value == TRICKY["nickname"]
        assert card.categories.value == TRICKY["tags"]
        assert card.adr.value.street == TRICKY["addresses"][0]
        assert card.note.value == TRICKY["notes"].replace("\r\n", "\n")
        assert card.x_kehu_tier.value == "主要客户"


def test_the_card_imports_back_as_the_same_customer() -> None:
    for version in ("3.0", "4.0"):
        text = vcard_of(_customer(), version=version, sort_as=True)
        fields = contact_from_card(vobject.readOne(text), "the card").fields
        assert fields["name"] == TRICKY["name"]
        assert fields["phones"] == TRICKY["phones"]
        assert fields["emails"] == TRICKY["emails"]
        assert fields["tags"] == TRICKY["tags"]
        assert fields["birthday"].replace("-", "") == "0412"  # 4.0 writes the basic form, --0412
        assert fields["organization"] == TRICKY["organization"]
        assert fields["notes"] == TRICKY["notes"].replace("\r\n", "\n")


#: cards as kehu wrote them before its writer was made faster (vobject making each line as
#: before, written the same way): any change of the writer must keep every byte of them, or
#: every phone would fetch every card again. (Generated once by ``_golden_cases``.)
GOLDEN = Path(__file__).parent / "data" / "vcards" / "golden.json"


def _golden_cases() -> Iterator[tuple[str, str]]:
    plain = {"id": "c-plain", "name": "Zhang Wei", "phones": ["+12025550123"], "created": "2026-01-02",
             "birthday": "1980-02-29", "do_not_contact": True, "owner": "王芳", "level": "gold",
             "其他字段": "值", "a b": [1, 2], "wechat_id": "zw_1980", "score": "[1, 2]", "note_x": "  {x"}
    bare = {"id": "c-bare", "name": "赵敏"}
    for label, data in (("tricky", TRICKY), ("plain", plain), ("bare", bare)):
        customer = Customer.model_validate(data, context={"region": "CN"})
        for version, apple in (("3.0", True), ("3.0", False), ("4.0", False)):
            yield f"{label}-{version}-{apple}", vcard_of(customer, version=version, apple=apple)
            yield f"{label}-{version}-{apple}-serve", vcard_of(
                customer, version=version, apple=apple, sort_as=True, uid="urn:uuid:1234",
                computed={"tier": "主要客户", "points": 880, "empty": ""},
                note="笔记\n\n—— kehu ——\n最近: 2026-11-18 买 龙井 ¥880.00\n待办: 2026-11-22 greeting" + "长" * 40)


def test_the_writer_writes_every_card_as_it_did() -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    written = dict(_golden_cases())
    assert sorted(written) == sorted(expected)
    for label, text in written.items():
        assert text == expected[label], label


def _two_cards(note: str, name: str) -> tuple[object, object]:
    cards = []
    for _ in range(2):
        card = vobject.vCard()
        card.add("fn").value = name
        card.add("n").value = vobject.vcard.Name(family=name)
        card.add("note").value = note
        card.add("x-kehu-tier").value = note[:90]
        cards.append(card)
    return cards[0], cards[1]


@settings(max_examples=300, deadline=None)
@given(note=st.text(alphabet="aé长😀 ,;:\\\n\"", max_size=260), name=st.text(alphabet="a长😀,", min_size=1,
                                                                           max_size=120))
def test_lines_are_folded_as_vobject_folds_them(note: str, name: str) -> None:
    """kehu folds the lines it writes itself (vobject's folding is a character at a time):
    every card must come out as vobject writes it, byte for byte, whatever the characters
    (1 to 4 octets in UTF-8) and wherever a line's 75th octet falls."""
    ours, theirs = _two_cards(note, name)
    assert serialize(ours) == theirs.serialize(validate=False)


def test_lines_of_every_length_around_the_fold_are_folded_as_vobject_folds_them() -> None:
    for char in ("a", "é", "长", "😀"):  # 1, 2, 3 and 4 octets
        for lead in range(4):  # each line's 75th octet falling at each place of a character
            for length in range(60, 170):
                ours, theirs = _two_cards("a" * lead + char * length, "王" * (length // 3))
                assert serialize(ours) == theirs.serialize(validate=False), (char, lead, length)
