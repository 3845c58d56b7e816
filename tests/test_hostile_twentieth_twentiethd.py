"""One set of rules for every door that takes a vCard (issue 16, twentieth round): `kehu import`
of a .vcf and `kehu serve`'s CardDAV PUT read a card alike and name its problem at the line of
the property that holds it. The real server and real HTTP requests (as tests/test_serve.py), and
the real import."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import kehu

from .test_hostile import tree_hash
from .test_hostile_values import no_traceback
from .test_serve import DAY, Server, card_url, serving, show

_NUMBERS = itertools.count(13600001000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory, "twentiethd") as running:
        yield running


def _imported(server: Server, tmp_path: Path, body: bytes) -> tuple[int, str]:
    """`kehu import` of ``body`` as a file into a copy of the served store: its exit code and
    what it said; nothing written when it refuses."""
    path = tmp_path / "card.vcf"
    path.write_bytes(body)
    shop = tmp_path / "shop"
    if not shop.exists():
        assert kehu("init", str(shop), "--no-git").code == 0
    before = tree_hash(shop / "customers") if (shop / "customers").exists() else None
    done = kehu("--today", DAY, "import", str(path), store=shop)
    no_traceback(done)
    if done.code != 0 and before is not None:
        assert tree_hash(shop / "customers") == before
    return done.code, done.out + done.err


def _put(server: Server, name: str, body: bytes, **headers: str):  # type: ignore[no-untyped-def]
    return server.session("wangfang").put(f"{server.book('wangfang')}{name}", data=body,
                                          headers={"Content-Type": "text/vcard", **headers})


def _card(*lines: str, end: str = "\r\n") -> bytes:
    return (end.join(lines) + end).encode()


def test_a_problem_of_notes_from_two_note_lines_is_named_at_its_line(server: Server, tmp_path: Path) -> None:
    """A card with two NOTE lines, one holding ESC: `kehu import` said `notes: holds the control
    character U+001B` and `kehu serve` the same with 422, naming no line (one NOTE line was
    named). Now the line of the NOTE that holds it, in both doors and in a phone's edit."""
    for bad in (7, 6):
        phone = next(_NUMBERS)
        notes = ["NOTE:first", "NOTE:second"]
        notes[bad - 6] = notes[bad - 6] + "\x1b[31m"
        body = _card("BEGIN:VCARD", "VERSION:3.0", f"UID:notes-{bad}", f"FN:两条备注 {bad}", f"TEL:{phone}",
                     *notes, "END:VCARD")
        said = f"line {bad} (NOTE): holds the control character U+001B"
        code, out = _imported(server, tmp_path, body)
        assert code == 1 and f"card.vcf:1: {said}" in out, out
        before = tree_hash(server.root / "customers")
        answer = _put(server, f"notes-{bad}.vcf", body, **{"If-None-Match": "*"})
        assert answer.status_code == 422 and said in answer.text, answer.text
        assert tree_hash(server.root / "customers") == before
    # a phone's edit of a customer's card, its note given on two lines
    session = server.session("wangfang")
    url = card_url(server, "wangfang", "李四")
    got = session.get(url)
    # (the phone's own lines before kehu's block, which is taken off what comes back)
    edited = got.text.replace("NOTE:—— kehu", "NOTE:plain\r\nNOTE:bad\x1b[31m\r\nNOTE:—— kehu")
    assert edited != got.text
    line = edited.replace("\r\n ", "").split("\r\n").index("NOTE:bad\x1b[31m") + 1
    answer = session.put(url, data=edited.encode(), headers={"If-Match": got.headers["ETag"],
                                                             "Content-Type": "text/vcard"})
    assert answer.status_code == 422, answer.text
    assert f"line {line} (NOTE): holds the control character U+001B" in answer.text, answer.text
    assert show(server, server.ids["李四"]).get("notes") in (None, "")
