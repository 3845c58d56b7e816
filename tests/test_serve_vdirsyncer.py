"""``kehu serve`` with a real sync client: vdirsyncer's command line, as khard and khal users
run it, syncing a folder of .vcf and .ics files (its ``filesystem`` storage) with a real
``kehu serve`` on 127.0.0.1 (its ``carddav`` and ``caldav`` storages), both ways. What changed
is read back with ``kehu`` commands; what vdirsyncer says is what its user sees."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import vobject
from icalendar import Calendar

from tests.conftest import kehu
from tests.test_serve import DAY, make_store, password, start, wait_until_up

CONFIG = """[general]
status_path = "{home}/status/"

[pair contacts]
a = "contacts_local"
b = "contacts_remote"
collections = ["from b"]
conflict_resolution = "b wins"

[storage contacts_local]
type = "filesystem"
path = "{home}/contacts/"
fileext = ".vcf"

[storage contacts_remote]
type = "carddav"
url = "{url}"
username = "{login}"
password = "{password}"

[pair calendar]
a = "calendar_local"
b = "calendar_remote"
collections = ["from b"]

[storage calendar_local]
type = "filesystem"
path = "{home}/calendars/"
fileext = ".ics"

[storage calendar_remote]
type = "caldav"
url = "{url}"
username = "{login}"
password = "{password}"
read_only = true
"""


@dataclass
class Served:
    url: str
    root: Path
    ids: dict[str, str]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("serve-vdirsyncer") / "store"
    ids = make_store(root)
    process, port = start(root)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url, process, root.parent / "serve.log")
        yield Served(url, root, ids)
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class Vdirsyncer:
    """One person's vdirsyncer: its config, status and the folders it syncs."""

    home: Path

    @property
    def contacts(self) -> Path:
        return self.home / "contacts" / "contacts"

    @property
    def calendar(self) -> Path:
        return self.home / "calendars" / "calendar"

    def run(self, *args: str, answer: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "vdirsyncer", "-c", str(self.home / "config"), *args],
                              input=answer, capture_output=True, text=True, timeout=120)

    def sync(self) -> subprocess.CompletedProcess[str]:
        return self.run("sync")

    def cards(self) -> dict[str, vobject.base.Component]:
        """file name → the vCard in it."""
        return {path.name: vobject.readOne(path.read_text(encoding="utf-8"))
                for path in sorted(self.contacts.glob("*.vcf"))}


def vdirsyncer_for(served: Served, home: Path, login: str) -> Vdirsyncer:
    """vdirsyncer set up as its docs say: a config, ``discover`` (answering yes to making the
    local folders), then a first ``sync``."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config").write_text(CONFIG.format(home=home, url=served.url, login=login, password=password(login)),
                                 encoding="utf-8")
    client = Vdirsyncer(home)
    found = client.run("discover", answer="y\ny\n")
    assert found.returncode == 0, found.stderr
    assert "kehu" in found.stderr  # the collections' display names, as vdirsyncer lists them
    first = client.sync()
    assert first.returncode == 0, first.stderr
    return client


def show(served: Served, customer_id: str) -> dict:
    result = kehu("--today", DAY, "customer", "show", customer_id, "--json", store=served.root)
    assert result.code == 0, result.err
    return json.loads(result.out)


def customer_files(served: Served) -> int:
    return len(list(served.root.glob("customers/*/*/customer.yaml")))


def test_a_reps_customers_arrive_as_vcf_files_and_an_edited_phone_comes_back(served: Served,
                                                                             tmp_path: Path) -> None:
    wang = vdirsyncer_for(served, tmp_path / "wang", "wangfang")
    cards = wang.cards()
    assert {card.fn.value for card in cards.values()} == {"赵敏", "李四"}  # 王芳's own, not 李雷's 张三
    assert sorted(cards) == sorted(f"{served.ids[name]}.vcf" for name in ("赵敏", "李四"))
    path = wang.contacts / f"{served.ids['李四']}.vcf"
    text = path.read_text(encoding="utf-8")
    assert "tel:+8613712340000" in text
    path.write_text(text.replace("tel:+8613712340000", "tel:+86-137-1234-9999"), encoding="utf-8")
    synced = wang.sync()
    assert synced.returncode == 0, synced.stderr
    assert "contacts_remote" in synced.stderr  # "Copying (updating) item ... to contacts_remote/contacts"
    customer = show(served, served.ids["李四"])
    assert customer["phones"] == ["+8613712349999"]
    assert customer["emails"] == ["lisi@example.com"]
    assert "via CardDAV by 王芳" in kehu("--today", DAY, "undo", "--list", store=served.root).out
    # kehu answered without an ETag (it keeps its own rendering): the next sync brings the
    # card as stored, the number as kehu writes it; then there is nothing left to do
    again = wang.sync()
    assert again.returncode == 0, again.stderr
    assert "tel:+8613712349999" in path.read_text(encoding="utf-8")
    last = wang.sync()
    assert last.returncode == 0, last.stderr
    assert "Copying" not in last.stderr and "Deleting" not in last.stderr


def test_an_edit_in_kehu_arrives_in_the_vcf_file(served: Served, tmp_path: Path) -> None:
    wang = vdirsyncer_for(served, tmp_path / "wang", "wangfang")
    changed = kehu("--today", DAY, "customer", "set", served.ids["赵敏"], "emails=zhaomin@example.com",
                   store=served.root)
    assert changed.code == 0, changed.err
    synced = wang.sync()
    assert synced.returncode == 0, synced.stderr
    card = wang.cards()[f"{served.ids['赵敏']}.vcf"]
    assert card.email.value == "zhaomin@example.com"


def test_a_new_vcf_becomes_a_customer_unless_it_duplicates_one(served: Served, tmp_path: Path) -> None:
    wang = vdirsyncer_for(served, tmp_path / "wang", "wangfang")
    before = customer_files(served)
    # the phone number of 李雷's 张三: kehu refuses it as customer add does (409, naming 张三)
    (wang.contacts / "phone-made-1.vcf").write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:phone-made-1\r\nFN:张三丰\r\nTEL;TYPE=CELL:138 1234 5678\r\n"
        "END:VCARD\r\n", encoding="utf-8")
    (wang.contacts / "phone-made-2.vcf").write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:phone-made-2\r\nFN:周芷若\r\nTEL;TYPE=CELL:136 1234 5678\r\n"
        "END:VCARD\r\n", encoding="utf-8")
    synced = wang.sync()
    # what vdirsyncer's user sees: the sync fails naming the refused card and the status
    assert synced.returncode == 1
    assert "409" in synced.stderr and "phone-made-1.vcf" in synced.stderr
    assert customer_files(served) == before + 1  # 周芷若 went in, 张三丰 did not
    found = json.loads(kehu("--today", DAY, "search", "周芷若", "--json", store=served.root).out)
    assert [(c["phones"], c["owner"]) for c in found] == [(["+8613612345678"], "王芳")]
    assert json.loads(kehu("--today", DAY, "search", "张三丰", "--json", store=served.root).out) == []
    # the reason is in vdirsyncer's debug output (the body of the answer)
    debug = wang.run("-vdebug", "sync")
    assert "already in the store" in debug.stderr and served.ids["张三"] in debug.stderr
    # taking the duplicate out of the folder ends the refusals; the store is as it was
    (wang.contacts / "phone-made-1.vcf").unlink()
    clean = wang.sync()
    assert clean.returncode == 0, clean.stderr
    assert show(served, served.ids["张三"])["name"] == "张三"
    assert show(served, served.ids["张三"])["owner"] == "李雷"


def test_a_deleted_vcf_does_not_delete_the_customer(served: Served, tmp_path: Path) -> None:
    wang = vdirsyncer_for(served, tmp_path / "wang", "wangfang")
    name = f"{served.ids['赵敏']}.vcf"
    (wang.contacts / name).unlink()
    synced = wang.sync()
    # vdirsyncer passes the deletion on; kehu refuses it (403), and vdirsyncer says so
    assert synced.returncode == 1
    assert "403" in synced.stderr and name in synced.stderr
    assert show(served, served.ids["赵敏"])["name"] == "赵敏"
    # as docs/serve.md says: forget vdirsyncer's state of the address book and sync: the card
    # comes back
    (wang.home / "status" / "contacts" / "contacts.items").unlink()
    back = wang.sync()
    assert back.returncode == 0, back.stderr
    assert wang.cards()[name].fn.value == "赵敏"


def test_the_supervisors_address_book_has_everyone(served: Served, tmp_path: Path) -> None:
    boss = vdirsyncer_for(served, tmp_path / "boss", "boss")
    names = {card.fn.value for card in boss.cards().values()}
    assert {"赵敏", "李四", "张三"} <= names
    assert len(names) == customer_files(served)
    # a supervisor's edit of another rep's customer comes back too
    path = boss.contacts / f"{served.ids['张三']}.vcf"
    path.write_text(path.read_text(encoding="utf-8").replace("zs@example.com", "zhangsan@example.com"),
                    encoding="utf-8")
    synced = boss.sync()
    assert synced.returncode == 0, synced.stderr
    assert show(served, served.ids["张三"])["emails"] == ["zhangsan@example.com"]


def test_the_calendar_syncs_with_the_lunar_birthday_on_its_solar_day(served: Served, tmp_path: Path) -> None:
    wang = vdirsyncer_for(served, tmp_path / "wang", "wangfang")
    days: list[dt.date] = []
    for path in wang.calendar.glob("*.ics"):
        for event in Calendar.from_ical(path.read_text(encoding="utf-8")).walk("VEVENT"):
            if str(event["summary"]).startswith("赵敏's lunar birthday"):
                days.append(event["dtstart"].dt)
    # 八月十五 (中秋) of the next three years, on its solar day
    for day in (dt.date(2027, 9, 15), dt.date(2028, 10, 3), dt.date(2029, 9, 22)):
        assert day in days
    assert all(day.month in (9, 10) for day in days)
    # 李雷's calendar has none of 王芳's customers
    li = vdirsyncer_for(served, tmp_path / "li", "lilei")
    assert not any("赵敏" in path.read_text(encoding="utf-8") for path in li.calendar.glob("*.ics"))
