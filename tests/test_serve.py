"""``kehu serve`` end to end: the real server (``kehu serve`` in its own process, on a free port
of 127.0.0.1, stopped after), real WebDAV requests as CardDAV clients make them (PROPFIND,
addressbook-multiget, sync-collection, PUT with If-Match) and the caldav library as the
CalDAV client; what changed is read back through ``kehu`` commands."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import pytest
import requests
import vobject

from tests.conftest import kehu
from tests.peakmem import peak_mb

DAY = "2026-11-20"
USERS = {"wangfang": "王芳", "lilei": "李雷"}
SERVE_YAML = """serve:
  htpasswd: users.htpasswd
  users:
    wangfang: {rep: 王芳}
    lilei: {rep: 李雷}
    boss: {supervisor: true}
"""
NS = {"d": "DAV:", "card": "urn:ietf:params:xml:ns:carddav"}
MULTIGET = """<?xml version="1.0" encoding="utf-8"?>
<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav">
  <d:prop><d:getetag/><card:address-data/></d:prop>{hrefs}
</card:addressbook-multiget>"""
SYNC = """<?xml version="1.0" encoding="utf-8"?>
<d:sync-collection xmlns:d="DAV:"><d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>
  <d:prop><d:getetag/></d:prop></d:sync-collection>"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def password(login: str) -> str:
    return f"pw-{login}"


def make_store(root: Path) -> dict[str, str]:
    """A store with three customers of two reps, the serve: section and its htpasswd file."""
    assert kehu("init", str(root), "--no-git").code == 0
    ids = {}
    for name, owner, extra in [
        ("赵敏", "王芳", ["--phone", "13912345678", "--lunar-birthday", "08-15", "--tag", "VIP"]),
        ("李四", "王芳", ["--phone", "13712340000", "--email", "lisi@example.com"]),
        ("张三", "李雷", ["--phone", "13812345678", "--email", "zs@example.com"]),
    ]:
        result = kehu("--today", DAY, "customer", "add", "--name", name, "--owner", owner, *extra, store=root)
        assert result.code == 0, result.err
        ids[name] = result.out.strip()
    with (root / "kehu.yaml").open("a", encoding="utf-8") as handle:
        handle.write(SERVE_YAML)
    lines = [f"{login}:{bcrypt.hashpw(password(login).encode(), bcrypt.gensalt(rounds=4)).decode()}"
             for login in ["wangfang", "lilei", "boss"]]
    (root / "users.htpasswd").write_text("\n".join(lines) + "\n")
    return ids


@dataclass
class Server:
    url: str
    root: Path
    ids: dict[str, str]
    process: subprocess.Popen[str]

    def session(self, login: str, agent: str = "DAVx5/4.4 (test)") -> requests.Session:
        session = requests.Session()
        session.auth = (login, password(login))
        session.headers["User-Agent"] = agent
        return session

    def book(self, login: str) -> str:
        return f"{self.url}{login}/contacts/"


def start(root: Path) -> tuple[subprocess.Popen[str], int]:
    """``kehu serve`` in its own process, as a person starts it, on a free port; what it says
    goes to serve.log beside the store (a pipe nobody reads could fill and stall it)."""
    port = free_port()
    with (root.parent / "serve.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "kehu_core", "--store", str(root), "serve", "--port", str(port)],
            env={**os.environ, "KEHU_TODAY": DAY, "LANGUAGE": "en"}, stdout=log, stderr=subprocess.STDOUT, text=True,
        )
    return process, port


def wait_until_up(url: str, process: subprocess.Popen[str], log: Path, deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"kehu serve stopped: {log.read_text()}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError("kehu serve did not answer in time")


@contextlib.contextmanager
def serving(tmp_path_factory: pytest.TempPathFactory, name: str, *, settings: str = "") -> Iterator[Server]:
    """A store of :func:`make_store` served by a real ``kehu serve``, stopped afterwards
    (``settings``: lines added to its kehu.yaml first)."""
    root = tmp_path_factory.mktemp(name) / "store"
    ids = make_store(root)
    if settings:
        with (root / "kehu.yaml").open("a", encoding="utf-8") as handle:
            handle.write(settings)
    process, port = start(root)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url, process, root.parent / "serve.log")
        yield Server(url, root, ids, process)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory, "serve") as running:
        yield running


@contextlib.contextmanager
def stalling_clients(server: Server, first: list[bytes], drip: bytes) -> Iterator[list[socket.socket]]:
    """Connections to ``server`` that each send their ``first`` bytes, then ``drip`` once a
    second while the block runs (a slow client, or a "slowloris"): closed afterwards."""
    import threading
    from urllib.parse import urlparse

    address = urlparse(server.url)
    stalling = [socket.create_connection((address.hostname, address.port)) for _ in first]
    for connection, data in zip(stalling, first, strict=True):
        connection.sendall(data)
    done = threading.Event()

    def dripping() -> None:
        while not done.wait(1.0):
            for connection in stalling:
                with contextlib.suppress(OSError):
                    connection.sendall(drip)

    thread = threading.Thread(target=dripping, daemon=True)
    thread.start()
    try:
        yield stalling
    finally:
        done.set()
        thread.join()
        for connection in stalling:
            connection.close()


def show(server: Server, customer_id: str) -> dict:
    result = kehu("--today", DAY, "customer", "show", customer_id, "--json", store=server.root)
    assert result.code == 0, result.err
    return json.loads(result.out)


def propfind_hrefs(session: requests.Session, url: str) -> dict[str, str]:
    """href → etag of every card of an address book (PROPFIND Depth 1)."""
    body = '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'
    answer = session.request("PROPFIND", url, data=body, headers={"Depth": "1"})
    assert answer.status_code == 207, answer.text
    out = {}
    for response in ET.fromstring(answer.content).findall("d:response", NS):
        href = response.findtext("d:href", namespaces=NS)
        etag = response.findtext(".//d:getetag", namespaces=NS)
        if href and href.endswith(".vcf"):
            out[href] = etag
    return out


def multiget(session: requests.Session, url: str, hrefs: list[str]) -> dict[str, str]:
    """href → vCard text (addressbook-multiget)."""
    body = MULTIGET.format(hrefs="".join(f"<d:href>{h}</d:href>" for h in hrefs))
    answer = session.request("REPORT", url, data=body.encode(), headers={"Depth": "1"})
    assert answer.status_code == 207, answer.text
    return {r.findtext("d:href", namespaces=NS): r.findtext(".//card:address-data", namespaces=NS)
            for r in ET.fromstring(answer.content).findall("d:response", NS)}


def names_in(session: requests.Session, url: str) -> set[str]:
    cards = multiget(session, url, list(propfind_hrefs(session, url)))
    return {vobject.readOne(text).fn.value for text in cards.values()}


def card_url(server: Server, login: str, name: str) -> str:
    return f"{server.book(login)}{server.ids[name]}.vcf"


def test_each_rep_lists_their_customers_and_a_supervisor_everyone(server: Server) -> None:
    assert names_in(server.session("wangfang"), server.book("wangfang")) == {"赵敏", "李四"}
    assert names_in(server.session("lilei"), server.book("lilei")) == {"张三"}
    assert names_in(server.session("boss"), server.book("boss")) == {"赵敏", "李四", "张三"}


def test_a_rep_reaches_nothing_of_another_rep(server: Server) -> None:
    wang = server.session("wangfang")
    assert wang.get(card_url(server, "lilei", "张三")).status_code in (403, 404)
    assert wang.request("PROPFIND", server.book("lilei"), headers={"Depth": "1"}).status_code in (403, 404)
    # 张三 is 李雷's: not in 王芳's address book, whatever the path
    assert wang.get(card_url(server, "wangfang", "张三")).status_code == 404
    card = server.session("lilei").get(card_url(server, "lilei", "张三")).text
    answer = wang.put(card_url(server, "lilei", "张三"), data=card.encode(), headers={"Content-Type": "text/vcard"})
    assert answer.status_code in (403, 404)
    assert show(server, server.ids["张三"])["phones"] == ["+8613812345678"]


def test_unknown_user_and_wrong_password_are_refused(server: Server) -> None:
    assert requests.request("PROPFIND", server.book("wangfang"), auth=("wangfang", "wrong")).status_code == 401
    assert requests.request("PROPFIND", server.url, auth=("nobody", "pw-nobody")).status_code == 401


def test_clients_find_the_address_book_from_well_known(server: Server) -> None:
    session = server.session("wangfang")
    answer = session.get(f"{server.url}.well-known/carddav", allow_redirects=False)
    assert answer.status_code in (301, 302, 303, 307, 308)
    start_at = requests.compat.urljoin(server.url, answer.headers["Location"])
    body = ('<d:propfind xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop>'
            '<d:current-user-principal/></d:prop></d:propfind>')
    found = session.request("PROPFIND", start_at, data=body, headers={"Depth": "0"})
    principal = ET.fromstring(found.content).findtext(".//d:current-user-principal/d:href", namespaces=NS)
    assert principal == "/wangfang/"
    body = ('<d:propfind xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop>'
            '<card:addressbook-home-set/></d:prop></d:propfind>')
    home = session.request("PROPFIND", requests.compat.urljoin(server.url, principal), data=body,
                           headers={"Depth": "0"})
    home_href = ET.fromstring(home.content).findtext(".//card:addressbook-home-set/d:href", namespaces=NS)
    listing = session.request("PROPFIND", requests.compat.urljoin(server.url, home_href), headers={"Depth": "1"})
    assert "/wangfang/contacts/" in listing.text


def test_the_card_holds_the_customer_in_the_version_the_client_wants(server: Server) -> None:
    android = server.session("wangfang").get(card_url(server, "wangfang", "赵敏")).text
    card = vobject.readOne(android)
    assert card.version.value == "4.0"
    assert card.tel.value == "tel:+8613912345678"
    assert card.n.params["SORT-AS"] == ["zhao min"]  # listed under Z, as the pinyin says
    assert card.categories.value == ["VIP"]
    assert card.contents["x-kehu-owner"][0].value == "王芳"
    assert "x-kehu-tier" in card.contents
    assert "待办" in card.note.value  # what is due next, in the note
    apple = server.session("wangfang", agent="iOS/17.4 (21E219) dataaccessd/1.0").get(
        card_url(server, "wangfang", "赵敏")).text
    card = vobject.readOne(apple)
    assert card.version.value == "3.0"
    assert card.tel.value == "+8613912345678"
    assert card.contents["x-phonetic-last-name"][0].value == "zhao min"


def _etag(session: requests.Session, url: str) -> tuple[str, str]:
    answer = session.get(url)
    assert answer.status_code == 200
    return answer.headers["ETag"], answer.text


def test_a_phone_number_edited_on_the_phone_is_in_kehu(server: Server) -> None:
    """The outside check: a client lists a rep's customers, edits one phone number, and
    ``kehu customer show`` has it; the journal names who made it."""
    session = server.session("wangfang")
    url = card_url(server, "wangfang", "李四")
    assert url.removeprefix(server.url[:-1]) in propfind_hrefs(session, server.book("wangfang"))
    etag, text = _etag(session, url)
    edited = text.replace("tel:+8613712340000", "tel:+86-137-1234-9999")
    answer = session.put(url, data=edited.encode(), headers={"If-Match": etag, "Content-Type": "text/vcard"})
    assert answer.status_code == 204, answer.text
    assert show(server, server.ids["李四"])["phones"] == ["+8613712349999"]
    assert show(server, server.ids["李四"])["emails"] == ["lisi@example.com"]  # the rest as it was
    journal = kehu("--today", DAY, "undo", "--list", store=server.root)
    assert "via CardDAV by 王芳" in journal.out
    # kehu keeps its own rendering of the card, not the bytes sent: no ETag in the answer
    # (RFC 7231 4.3.4), so the client fetches the card as stored
    assert "ETag" not in answer.headers
    stored = session.get(url)
    assert "tel:+8613712349999" in stored.text and stored.headers["ETag"] != etag


def test_a_stale_write_is_refused_with_412(server: Server) -> None:
    session = server.session("wangfang")
    url = card_url(server, "wangfang", "赵敏")
    etag, text = _etag(session, url)
    assert kehu("--today", DAY, "customer", "set", server.ids["赵敏"], "title=店长", store=server.root).code == 0
    path = next(server.root.glob(f"customers/*/{server.ids['赵敏']}/customer.yaml"))
    before = path.read_bytes()
    stale = text.replace("tel:+8613912345678", "tel:+8613900000000")
    answer = session.put(url, data=stale.encode(), headers={"If-Match": etag, "Content-Type": "text/vcard"})
    assert answer.status_code == 412
    assert path.read_bytes() == before
    assert show(server, server.ids["赵敏"])["phones"] == ["+8613912345678"]


def test_a_card_fetched_alone_has_the_etag_its_listing_gave_after_a_sale_moved_its_tier(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """A colleague's big sale moves everyone else's tier (a rank among everyone); the book
    follows within minutes, and meanwhile a card fetched alone, and the If-Match of an edit
    made on the phone, must be the card as listed, or the phone's edit is refused as stale."""
    with serving(tmp_path_factory, "serve-etag") as server:
        for name, amount in [("赵敏", "300"), ("李四", "200")]:
            bought = kehu("--today", DAY, "purchase", "add", server.ids[name], "--amount", amount, "--paid",
                          store=server.root)
            assert bought.code == 0, bought.err
        session = server.session("wangfang")
        propfind_hrefs(session, server.book("wangfang"))  # the phone's first sync
        sale = kehu("--today", DAY, "purchase", "add", server.ids["张三"], "--amount", "5000", "--paid",
                    store=server.root)
        assert sale.code == 0, sale.err
        listed = propfind_hrefs(session, server.book("wangfang"))
        for href, etag in listed.items():
            assert session.get(server.url[:-1] + href).headers["ETag"] == etag
        url = card_url(server, "wangfang", "赵敏")
        text = session.get(url).text
        edited = text.replace("tel:+8613912345678", "tel:+8613912340001")
        answer = session.put(url, data=edited.encode(), headers={"If-Match": listed[url.removeprefix(server.url[:-1])],
                                                                  "Content-Type": "text/vcard"})
        assert answer.status_code == 204, answer.text
        assert show(server, server.ids["赵敏"])["phones"] == ["+8613912340001"]


def test_a_card_kehu_cannot_accept_is_refused_with_a_reason_and_nothing_changes(server: Server) -> None:
    session = server.session("wangfang")
    url = card_url(server, "wangfang", "赵敏")
    path = next(server.root.glob(f"customers/*/{server.ids['赵敏']}/customer.yaml"))
    before = path.read_bytes()
    count = len(list(server.root.glob("customers/*/*/customer.yaml")))
    garbage = session.put(url, data=b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nEND:VCARD\r\nnot a line\r\n",
                          headers={"Content-Type": "text/vcard"})
    assert 400 <= garbage.status_code < 500
    assert "vCard" in garbage.text
    _etag_now, text = _etag(session, url)
    bad_phone = session.put(url, data=text.replace("tel:+8613912345678", "tel:12").encode(),
                            headers={"Content-Type": "text/vcard"})
    assert 400 <= bad_phone.status_code < 500
    # named at the TEL's line, as `kehu import` names it (nineteenth round)
    assert "(TEL): " in bad_phone.text and "too short" in bad_phone.text, bad_phone.text
    assert path.read_bytes() == before
    assert len(list(server.root.glob("customers/*/*/customer.yaml"))) == count


def test_a_new_contact_becomes_a_customer_unless_it_duplicates_one(server: Server) -> None:
    session = server.session("wangfang")
    count = len(list(server.root.glob("customers/*/*/customer.yaml")))
    duplicate = ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:5F1A-phone-made-1\r\nFN:张三丰\r\n"
                 "TEL;TYPE=CELL:138 1234 5678\r\nEND:VCARD\r\n")
    answer = session.put(f"{server.book('wangfang')}5F1A-phone-made-1.vcf", data=duplicate.encode("utf-8"),
                         headers={"Content-Type": "text/vcard", "If-None-Match": "*"})
    assert answer.status_code == 409
    assert server.ids["张三"] in answer.text  # names the customer it duplicates
    assert len(list(server.root.glob("customers/*/*/customer.yaml"))) == count
    fresh = ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:5F1A-phone-made-2\r\nFN:周芷若\r\n"
             "TEL;TYPE=CELL:136 1234 5678\r\nEMAIL:zzr@example.com\r\nEND:VCARD\r\n")
    href = f"{server.book('wangfang')}5F1A-phone-made-2.vcf"
    answer = session.put(href, data=fresh.encode("utf-8"),
                         headers={"Content-Type": "text/vcard", "If-None-Match": "*"})
    assert answer.status_code == 201, answer.text
    found = json.loads(kehu("--today", DAY, "search", "周芷若", "--json", store=server.root).out)
    assert [(c["phones"], c["owner"]) for c in found] == [(["+8613612345678"], "王芳")]
    assert session.get(href).status_code == 200  # where the phone put it
    assert "周芷若" in names_in(session, server.book("wangfang"))


def test_deleting_on_the_phone_never_deletes_the_customer(server: Server) -> None:
    session = server.session("wangfang")
    answer = session.delete(card_url(server, "wangfang", "赵敏"))
    assert answer.status_code == 403
    assert "never deletes" in answer.text
    assert show(server, server.ids["赵敏"])["name"] == "赵敏"
    assert session.get(card_url(server, "wangfang", "赵敏")).status_code == 200


def _sync(session: requests.Session, url: str, token: str = "") -> tuple[str, list[str]]:
    answer = session.request("REPORT", url, data=SYNC.format(token=token).encode(), headers={"Depth": "1"})
    assert answer.status_code == 207, answer.text
    tree = ET.fromstring(answer.content)
    return (tree.findtext("d:sync-token", namespaces=NS) or "",
            [r.findtext("d:href", namespaces=NS) or "" for r in tree.findall("d:response", NS)])


def test_sync_collection_after_one_edit_in_kehu_returns_only_that_card(server: Server) -> None:
    session = server.session("boss")
    token, everyone = _sync(session, server.book("boss"))
    assert len(everyone) >= 3
    assert kehu("--today", DAY, "customer", "set", server.ids["张三"], "emails=zhang@example.com",
                store=server.root).code == 0
    new_token, changed = _sync(session, server.book("boss"), token)
    assert changed == [f"/boss/contacts/{server.ids['张三']}.vcf"]
    assert new_token != token
    assert _sync(session, server.book("boss"), new_token)[1] == []
    # an edit that keeps the file's size, right after the last one, is seen too
    assert kehu("--today", DAY, "customer", "set", server.ids["张三"], "phones=13812345679",
                store=server.root).code == 0
    _, changed = _sync(session, server.book("boss"), new_token)
    assert changed == [f"/boss/contacts/{server.ids['张三']}.vcf"]
    card = session.get(f"{server.book('boss')}{server.ids['张三']}.vcf").text
    assert "tel:+8613812345679" in card


def test_the_calendar_has_the_lunar_birthday_on_its_solar_day_for_the_next_three_years(server: Server) -> None:
    import caldav

    # closed when done: its connection pool keeps a thread waiting otherwise
    with caldav.DAVClient(url=server.url, username="wangfang", password=password("wangfang")) as client:
        calendars = client.principal().calendars()
        assert [c.url.path for c in calendars] == ["/wangfang/calendar/"]
        events = calendars[0].events()
    days = []
    for event in events:
        component = event.icalendar_component
        if str(component["summary"]).startswith("赵敏's lunar birthday"):
            days.append(component["dtstart"].dt)
    # 八月十五 (中秋) falls on these solar days
    for day in (dt.date(2027, 9, 15), dt.date(2028, 10, 3), dt.date(2029, 9, 22)):
        assert day in days
    assert all(d.month in (9, 10) for d in days)


def test_the_calendar_is_read_only(server: Server) -> None:
    session = server.session("wangfang")
    event = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:x1\r\n"
             "DTSTART;VALUE=DATE:20261201\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    answer = session.put(f"{server.url}wangfang/calendar/x1.ics", data=event.encode(),
                         headers={"Content-Type": "text/calendar"})
    assert answer.status_code == 403


def test_serve_settings_errors_name_the_line(tmp_path: Path) -> None:
    root = tmp_path / "store"
    assert kehu("init", str(root), "--no-git").code == 0
    with (root / "kehu.yaml").open("a", encoding="utf-8") as handle:
        handle.write("serve:\n  htpasswd: users.htpasswd\n  users:\n    boss: {supervisor: true, rep: 王芳}\n")
    result = kehu("serve", "--port", "0", store=root)
    assert result.code == 1
    lines = (root / "kehu.yaml").read_text(encoding="utf-8").splitlines()
    assert f"kehu.yaml:{len(lines)}: serve.users.boss:" in result.err
    (root / "kehu.yaml").write_text("\n".join(lines[:-1]) + "\n    boss: {supervisor: true}\n", encoding="utf-8")
    result = kehu("serve", "--port", "0", store=root)
    assert result.code == 1
    assert "serve.htpasswd" in result.err and "does not exist" in result.err
    import os

    os.mkfifo(root / "users.htpasswd")  # a FIFO was said not to exist (ninth round A)
    result = kehu("serve", "--port", "0", store=root)
    assert result.code == 1 and "is a FIFO (named pipe), not a file" in result.err, result.err


def test_the_calendar_has_the_reps_planned_visits(server: Server) -> None:
    import caldav

    planned = kehu("--today", DAY, "visits", "plan", "--owner", "王芳", "--date", "2026-11-23",
                   "--add", server.ids["李四"], store=server.root)
    assert planned.code == 0, planned.err
    with caldav.DAVClient(url=server.url, username="wangfang", password=password("wangfang")) as client:
        events = [e.icalendar_component for e in client.principal().calendars()[0].events()]
    visits = [(str(e["summary"]), e["dtstart"].dt) for e in events if str(e["summary"]).startswith("visit ")]
    assert any(summary.endswith(": 李四") and day == dt.date(2026, 11, 23) for summary, day in visits), visits
    # 李雷's calendar has none of 王芳's visits
    with caldav.DAVClient(url=server.url, username="lilei", password=password("lilei")) as other:
        theirs = other.principal().calendars()[0].events()
    assert not any("李四" in str(e.icalendar_component["summary"]) for e in theirs)


def test_a_customer_given_to_another_rep_moves_to_their_address_book(server: Server) -> None:
    added = kehu("--today", DAY, "customer", "add", "--name", "黄蓉", "--owner", "王芳", "--phone", "13511112222",
                 store=server.root)
    assert added.code == 0, added.err
    wang, li = server.session("wangfang"), server.session("lilei")
    assert "黄蓉" in names_in(wang, server.book("wangfang"))
    assert "黄蓉" not in names_in(li, server.book("lilei"))
    assert kehu("--today", DAY, "customer", "set", added.out.strip(), "owner=李雷", store=server.root).code == 0
    assert "黄蓉" not in names_in(wang, server.book("wangfang"))
    assert "黄蓉" in names_in(li, server.book("lilei"))


def test_customer_stamps_move_with_any_file_of_the_customer(store_path: Path) -> None:
    """What a kept address book is checked against: a stamp per customer that moves when one
    of its files is written; a customer with many files too (nanosecond mtimes add up past
    SQLite's integers)."""
    from kehu_core.store import Store

    cid = kehu("customer", "add", "--name", "郭靖", "--owner", "王芳", store=store_path).out.strip()
    for day in range(1, 13):
        result = kehu("interaction", "add", cid, "--kind", "note", "--date", f"2026-10-{day:02d}",
                      "--text", f"第{day}次", store=store_path)
        assert result.code == 0, result.err
    other = kehu("customer", "add", "--name", "杨过", "--owner", "李雷", store=store_path).out.strip()
    index = Store.open(store_path).index
    before = index.customer_stamps()  # 杨过's file just written: its mtime not trusted yet
    profile = store_path / index.customer_paths()[other]
    os.utime(profile, ns=(profile.stat().st_mtime_ns - 60 * 10**9,) * 2)  # its two seconds passed
    assert set(before) == {cid, other}
    assert set(index.customer_stamps("王芳")) == {cid}
    assert kehu("interaction", "add", cid, "--kind", "call", "--date", "2026-11-01", "--text", "回访",
                store=store_path).code == 0
    index = Store.open(store_path).index
    after = index.customer_stamps()
    assert after[cid] != before[cid]
    assert after[other] == before[other]


def test_a_card_is_screened_by_kehu_imports_limits(server: Server) -> None:
    """A card sent with a 20 MB photo is taken without the photo (kehu stores no pictures) and
    without the gigabytes vobject would spend on it; a NOTE over import_limits:
    vcard_property_mb is refused with 413 naming the limit, and nothing changes."""
    session = server.session("wangfang")
    url = card_url(server, "wangfang", "李四")
    etag, text = _etag(session, url)
    phone = next(line for line in text.splitlines() if line.startswith("TEL"))
    photo = "PHOTO;ENCODING=b;TYPE=JPEG:" + "A" * 74 + "".join("\r\n " + "QUJD" * 18 for _ in range(280_000))
    edited = text.replace(phone, "TEL;TYPE=cell:+8613700001111\r\n" + photo)
    assert len(edited) > 20_000_000
    answer = session.put(url, data=edited.encode(), headers={"If-Match": etag, "Content-Type": "text/vcard"})
    assert answer.status_code == 204, answer.text
    assert show(server, server.ids["李四"])["phones"] == ["+8613700001111"]
    assert "PHOTO" not in session.get(url).text
    assert peak_mb(server.process.pid) < 400  # vobject on the photo: over 3 GB
    path = next(server.root.glob(f"customers/*/{server.ids['李四']}/customer.yaml"))
    before = path.read_bytes()
    etag, text = _etag(session, url)
    note = "NOTE:" + "长" * 10 + "".join("\r\n " + "备注很长" * 6 for _ in range(90_000))  # 3.3 MB
    answer = session.put(url, data=text.replace("END:VCARD", note + "\r\nEND:VCARD").encode(),
                         headers={"If-Match": etag, "Content-Type": "text/vcard"})
    assert answer.status_code == 413
    assert "NOTE" in answer.text and "import_limits: vcard_property_mb" in answer.text
    assert path.read_bytes() == before


def test_a_restarted_server_has_the_edits_made_while_it_was_stopped(tmp_path: Path) -> None:
    """A restarted server reads its address books from the index as the last run kept them
    (it listens in seconds): what changed while it was stopped is in them, what did not keeps
    its ETag, and a phone's sync token from before the restart gets only the changed cards."""
    root = tmp_path / "store"
    ids = make_store(root)

    def running() -> tuple[subprocess.Popen[str], str]:
        process, port = start(root)
        url = f"http://127.0.0.1:{port}/"
        wait_until_up(url, process, root.parent / "serve.log")
        return process, url

    session = requests.Session()
    session.auth = ("wangfang", password("wangfang"))
    process, url = running()
    try:
        before = propfind_hrefs(session, f"{url}wangfang/contacts/")
        token, _ = _sync(session, f"{url}wangfang/contacts/")
        lilei = requests.Session()
        lilei.auth = ("lilei", password("lilei"))
        lilei_before = propfind_hrefs(lilei, f"{url}lilei/contacts/")
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert kehu("--today", DAY, "customer", "set", ids["李四"], "emails=lisi@new.example.com", store=root).code == 0
    assert kehu("--today", DAY, "customer", "set", ids["赵敏"], "owner=李雷", store=root).code == 0
    process, url = running()
    try:
        book = f"{url}wangfang/contacts/"
        after = propfind_hrefs(session, book)
        assert set(after) == {f"/wangfang/contacts/{ids['李四']}.vcf"}  # 赵敏 is 李雷's now
        assert after[f"/wangfang/contacts/{ids['李四']}.vcf"] != before[f"/wangfang/contacts/{ids['李四']}.vcf"]
        assert "lisi@new.example.com" in session.get(f"{book}{ids['李四']}.vcf").text
        _, changed = _sync(session, book, token)
        assert sorted(changed) == sorted(f"/wangfang/contacts/{ids[name]}.vcf" for name in ("李四", "赵敏"))
        assert "赵敏" in names_in(lilei, f"{url}lilei/contacts/")
        zhang = f"/lilei/contacts/{ids['张三']}.vcf"  # unchanged: the same ETag as before
        assert propfind_hrefs(lilei, f"{url}lilei/contacts/")[zhang] == lilei_before[zhang]
        # a card kept from the last run is edited as any other (its ETag, its customer)
        card = lilei.get(f"{url}{zhang.lstrip('/')}")
        answer = lilei.put(f"{url}{zhang.lstrip('/')}", headers={"If-Match": lilei_before[zhang],
                                                                  "Content-Type": "text/vcard"},
                           data=card.text.replace("tel:+8613812345678", "tel:+8613812340001").encode())
        assert answer.status_code == 204, answer.text
        assert json.loads(kehu("--today", DAY, "customer", "show", ids["张三"], "--json", store=root).out)[
            "phones"] == ["+8613812340001"]
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for_log(log: Path, text: str, process: subprocess.Popen[str], deadline_s: float = 60) -> str:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        said = log.read_text(encoding="utf-8")
        if text in said:
            return said
        if process.poll() is not None:
            raise AssertionError(f"kehu serve stopped: {said}")
        time.sleep(0.05)  # polled: the line is written by the server's own threads
    raise AssertionError(f"not logged: {text!r}\n{log.read_text(encoding='utf-8')}")


def test_the_log_says_how_many_customers_no_address_book_holds(tmp_path: Path) -> None:
    """A customer whose customer.yaml has a problem is in no address book and no calendar, and a
    CardDAV client shows no stderr: the server's log says how many (the words of every listing,
    kehu_core.left_out), once at start and again when the books are made again from changed
    records (once, however many logins ask). It said nothing (issue 16)."""
    from kehu_core.ids import shard

    root = tmp_path / "store"
    ids = make_store(root)

    def profile(name: str) -> Path:
        return root / "customers" / shard(ids[name]) / ids[name] / "customer.yaml"

    def break_(name: str) -> None:
        profile(name).write_text(profile(name).read_text(encoding="utf-8") + "big: 1234567890123456789\n",
                                 encoding="utf-8")

    break_("李四")
    one = "1 customer is not in the address book or the calendar: their customer.yaml has a problem (`kehu check`"
    two = "2 customers are not in the address book or the calendar: their customer.yaml has a problem (`kehu check`"
    log = root.parent / "serve.log"
    process, port = start(root)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url, process, log)
        _wait_for_log(log, one, process)
        boss = requests.Session()
        boss.auth = ("boss", password("boss"))
        assert names_in(boss, f"{url}boss/contacts/") == {"赵敏", "张三"}
        wangfang = requests.Session()
        wangfang.auth = ("wangfang", password("wangfang"))
        assert wangfang.request("PROPFIND", f"{url}wangfang/calendar/", headers={"Depth": "1"}).status_code == 207
        break_("赵敏")  # broken while it runs: said when the books are made again
        assert names_in(boss, f"{url}boss/contacts/") == {"张三"}
        assert names_in(wangfang, f"{url}wangfang/contacts/") == set()
        said = _wait_for_log(log, two, process)
        assert said.count(one) == 1 and said.count(two) == 1, said  # once per change, not per login
        assert "kehu serve: " + one in said
    finally:
        process.terminate()
        process.wait(timeout=30)
