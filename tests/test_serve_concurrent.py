"""``kehu serve`` answering several clients at once, and making the books while it listens:
the real server in its own process, real HTTP clients on threads of the test, what was
written read back through ``kehu`` commands."""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.test_serve import (
    DAY,
    Server,
    _etag,
    card_url,
    make_store,
    password,
    propfind_hrefs,
    serving,
    show,
)

PROPFIND = (b'<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop>'
            b"</d:propfind>")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory, "serve-concurrent") as running:
        yield running


def _read_answer(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_client_slow_to_send_does_not_hold_up_another_reps_calendar(server: Server) -> None:
    """A phone on a slow network has started a PROPFIND of its address book and not yet sent
    all of it; meanwhile another rep's phone asks for its calendar and is answered (a server
    answering one request at a time waited for the first, up to its 30 s limit)."""
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    login = base64.b64encode(f"wangfang:{password('wangfang')}".encode()).decode()
    head = (f"PROPFIND /wangfang/contacts/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Basic {login}\r\n"
            f"Depth: 1\r\nContent-Type: application/xml\r\nContent-Length: {len(PROPFIND)}\r\n"
            "User-Agent: DAVx5/4.4 (slow)\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=25) as slow:
        slow.sendall(head + PROPFIND[:20])  # the rest of the body comes later
        other = server.session("lilei")
        answer = other.request("PROPFIND", f"{server.url}lilei/calendar/", headers={"Depth": "1"},
                               data=PROPFIND, timeout=15)
        assert answer.status_code == 207, answer.text
        card = other.get(card_url(server, "lilei", "张三"), timeout=15)
        assert card.status_code == 200 and "张三" in card.text
        slow.sendall(PROPFIND[20:])
        answered = _read_answer(slow)
    assert answered.startswith(b"HTTP/1.") and b" 207 " in answered.split(b"\r\n", 1)[0]
    assert f"{server.ids['赵敏']}.vcf".encode() in answered and f"{server.ids['李四']}.vcf".encode() in answered


def test_edits_from_several_phones_at_once_are_all_kept(server: Server) -> None:
    """Three phones of two reps write at the same moment while others read: every edit is in
    the customer's file, and every thread of the server answers with the store as changed."""
    edits = {"赵敏": ("wangfang", "13912345678", "13900001111"), "李四": ("wangfang", "13712340000", "13700002222"),
             "张三": ("lilei", "13812345678", "13800003333")}
    cards = {}
    for name, (login, _old, _new) in edits.items():
        session = server.session(login)
        cards[name] = (session, card_url(server, login, name), *_etag(session, card_url(server, login, name)))
    start_together = threading.Barrier(len(edits) + 2)

    def write(name: str) -> int:
        session, url, etag, text = cards[name]
        _login, old, new = edits[name]
        edited = text.replace(f"tel:+86{old}", f"tel:+86{new}")
        start_together.wait(timeout=15)
        return session.put(url, data=edited.encode(), timeout=30,
                           headers={"If-Match": etag, "Content-Type": "text/vcard"}).status_code

    def read(login: str) -> int:
        session = server.session(login)
        start_together.wait(timeout=15)
        return len(propfind_hrefs(session, server.book(login)))

    with ThreadPoolExecutor(max_workers=len(edits) + 2) as pool:
        writes = [pool.submit(write, name) for name in edits]
        reads = [pool.submit(read, login) for login in ("boss", "lilei")]
        assert [w.result(timeout=60) for w in writes] == [204] * len(edits)
        assert [r.result(timeout=60) for r in reads] == [3, 1]
    for name, (_login, _old, new) in edits.items():
        assert show(server, server.ids[name])["phones"] == [f"+86{new}"]
    # the server's threads each keep the store they opened: every one of them (more requests
    # than threads) answers with the new numbers
    boss = server.session("boss")
    for _ in range(3):
        for name, (_login, _old, new) in edits.items():
            answer = boss.get(card_url(server, "boss", name), timeout=15)
            assert answer.status_code == 200 and f"tel:+86{new}" in answer.text



def test_any_free_port_and_the_books_made_while_listening(tmp_path: Path) -> None:
    """``--port 0`` listens on a free port and says which; the server then makes every
    login's book and calendar while it already answers, and says so with what it made."""
    root = tmp_path / "store"
    make_store(root)
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "kehu_core", "--store", str(root), "serve", "--port", "0"],
                                   env={**os.environ, "KEHU_TODAY": DAY, "KEHU_LANG": "en"}, stdout=out,
                                   stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        made: dict[str, int] = {}
        while len(made) < 3:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            text = log.read_text()
            made = {m[0]: int(m[1]) for m in re.findall(r"kehu serve: (\w+): (\d+) cards \(/\1/contacts/\)", text)}
            time.sleep(0.05)
        url = re.search(r"on (http://127\.0\.0\.1:\d+/)", text)
        assert url is not None, text
        server = Server(url[1], root, {}, process)
        assert made == {"wangfang": 2, "lilei": 1, "boss": 3}
        assert {login: len(propfind_hrefs(server.session(login), server.book(login))) for login in made} == made
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_warm_up_makes_way_for_a_phone_syncing(tmp_path: Path) -> None:
    """The warm-up (the other card version, the calendars) goes on only once a phone's sync
    has paused (``QUIET_AFTER``), not between two of its requests: its work in the worker
    processes took the cores the phone's own cards were rendered on. A request waiting for
    what the warm-up makes lets it go on at once."""
    from kehu_core.config_serve import ServeSettings
    from kehu_core.serve.scope import QUIET_AFTER, Served
    from kehu_core.store import open_store

    make_store(tmp_path / "shop")
    served = Served(open_store(tmp_path / "shop", today=DAY), ServeSettings(htpasswd="users.htpasswd"))
    went_on: list[float] = []
    warm_up = threading.Thread(target=lambda: (served.quiet(), went_on.append(time.monotonic())))
    answered: list[float] = []
    with served.answering():  # the sync's first request
        warm_up.start()
    for _request in range(20):  # the rest, one after the other, as a phone sends them
        with served.answering():
            pass
        answered.append(time.monotonic())
    warm_up.join(timeout=30)
    assert went_on and went_on[0] >= answered[-1] + QUIET_AFTER * 0.9

    went_on.clear()
    warm_up = threading.Thread(target=lambda: (served.quiet(), went_on.append(time.monotonic())))
    with served.answering(), served.waiting():  # a request waiting for the book being made
        warm_up.start()
        warm_up.join(timeout=30)
        assert went_on, "the warm-up waited for the request that waits for it"
