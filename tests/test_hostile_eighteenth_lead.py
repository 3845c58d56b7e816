"""Eighteenth round, the lead's finds (issue 16): a number of a request read by the rule of every
number."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from .conftest import kehu
from .test_serve import Server, password, serving


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory, "eighteenth-lead") as running:
        yield running


def _put(server: Server, path: str, length: str, body: bytes) -> str:
    """A PUT of ``body`` by a logged-in rep whose Content-Length header reads ``length``: the
    server's status line."""
    address = urlparse(server.url)
    login = base64.b64encode(f"boss:{password('boss')}".encode()).decode()
    request = (f"PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {login}\r\n"
               f"Content-Type: text/vcard\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n").encode() + body
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(4096):
            answer += chunk
    return answer.decode("utf-8", "replace").split("\r\n", 1)[0]


@pytest.mark.parametrize("written", ["underscore", "plus"])
def test_a_content_length_that_is_not_plain_digits_is_refused(server: Server, written: str) -> None:
    """kehu serve read Content-Length with Python's int: ``7_0`` was 70 bytes and ``+70`` too, where
    HTTP allows digits alone and a proxy in front reads such a header otherwise (or refuses it):
    the two disagreeing on where a body ends is how a second request is slipped in with the first.
    Refused (400) and nothing stored; the same card with a plain length is stored."""
    card = f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{written}\r\nFN:走私{written}\r\nEND:VCARD\r\n".encode()
    plain = str(len(card))
    length = f"{plain[0]}_{plain[1:]}" if written == "underscore" else f"+{plain}"
    before = kehu("customer", "list", "--json", store=server.root).json()
    status = _put(server, f"/boss/contacts/{written}.vcf", length, card)
    assert status.split(" ")[1] == "400", status
    assert kehu("customer", "list", "--json", store=server.root).json() == before
    stored = _put(server, f"/boss/contacts/{written}.vcf", plain, card)
    assert stored.split(" ")[1] == "201", stored
    names = [c["name"] for c in kehu("customer", "list", "--json", store=server.root).json()]
    assert f"走私{written}" in names


def test_the_referral_tree_shows_a_names_invisible_character(tmp_path: Path) -> None:
    """A second 张三 whose name holds a zero-width space (pasted from a chat app) is shown
    `张\\ufffd三` by `customer list` and the reports' tables, so it never passes for the first;
    the referral tree (`kehu report referrals`, and the TUI's screen, which draws the same tree)
    showed it as stored, two 张三 alike, one the other's referrer."""
    store = tmp_path / "store"
    assert kehu("init", str(store), "--no-git").code == 0
    first = kehu("customer", "add", "--name", "张三", store=store).out.strip()
    second = kehu("customer", "add", "--name", "张\u200b三", "--referrer", first, store=store).out.strip()
    assert kehu("purchase", "add", second, "--amount", "100", "--date", "2026-11-01", store=store).code == 0
    tree = kehu("report", "referrals", store=store)
    assert tree.code == 0, tree.err
    assert "张\ufffd三" in tree.out and "\u200b" not in tree.out, tree.out
    assert "张三" in tree.out
