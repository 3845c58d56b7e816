"""The first contact a phone creates on a store of many customers: kehu serve checks that its
UID and file name are no other customer's card's, in any address book. That check made the
address book of every customer (when no supervisor's was made yet) while the server held the
store's write lock, so a ``kehu`` command writing meanwhile waited for it (on 10 000 customers:
4.3 s for the PUT, the command 5.0 s instead of 0.5 s; bench/serve_first_contact.py). It asks
the index now. The real server and HTTP client; the server's read calls (its own and its workers') are what
is compared: a count, not the time of a shared machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import bcrypt
import requests

from .conftest import kehu
from .test_serve import DAY, free_port, password, wait_until_up

CUSTOMERS = 4000


def _reads(pid: int) -> int:
    """Read calls made so far by ``pid`` and its child processes (the server's workers): a count,
    which a busy machine does not change as it changes a time."""
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            pids += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    total = 0
    for one in pids:
        try:
            fields = dict(line.split(": ") for line in Path(f"/proc/{one}/io").read_text().splitlines())
        except OSError:
            continue
        total += int(fields["syscr"])
    return total


def _store(root: Path) -> str:
    """A store of CUSTOMERS customers of two reps, served to one rep (no supervisor: no book of
    everyone is made ahead); the id of one of the rep's customers."""
    assert kehu("init", str(root), "--no-git").code == 0
    sheet = root.parent / "customers.csv"
    sheet.write_text("name,phone,owner\n" + "".join(
        f"客户{n},139{n:08d},{'王芳' if n % 2 else '李雷'}\n" for n in range(CUSTOMERS)), encoding="utf-8")
    assert kehu("import", str(sheet), store=root).code == 0
    with (root / "kehu.yaml").open("a", encoding="utf-8") as handle:
        handle.write("serve:\n  htpasswd: users.htpasswd\n  users:\n    wangfang: {rep: 王芳}\n")
    hashed = bcrypt.hashpw(password("wangfang").encode(), bcrypt.gensalt(rounds=4)).decode()
    (root / "users.htpasswd").write_text(f"wangfang:{hashed}\n")
    found = kehu("search", "13900000001", "--json", store=root)
    return json.loads(found.out)[0]["id"]


def test_the_first_new_contact_costs_no_book_of_every_customer(tmp_path: Path) -> None:
    root = tmp_path / "store"
    own = _store(root)
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "kehu_core", "--store", str(root), "serve",
             "--port", str(port)], env={**os.environ, "KEHU_TODAY": DAY, "LANGUAGE": "en"},
            stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url, process, log)
        deadline = time.monotonic() + 120
        while "wangfang: " not in log.read_text(errors="replace"):  # the warm-up made the rep's book
            assert time.monotonic() < deadline and process.poll() is None, log.read_text()
            time.sleep(0.1)
        session = requests.Session()
        session.auth = ("wangfang", password("wangfang"))
        book = f"{url}wangfang/contacts/"
        # an edit of one of the rep's cards: what a write costs the server, no check of UIDs
        got = session.get(f"{book}{own}.vcf")
        before = _reads(process.pid)
        edited = session.put(f"{book}{own}.vcf", data=got.text.replace("END:VCARD", "NOTE:老客户\r\nEND:VCARD"),
                             headers={"If-Match": got.headers["ETag"], "Content-Type": "text/vcard"})
        edit_reads = _reads(process.pid) - before
        assert edited.status_code == 204, edited.text
        before = _reads(process.pid)
        card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:PHONE-0001\r\nFN:新客\r\nTEL:13600009999\r\nEND:VCARD\r\n"
        created = session.put(f"{book}PHONE-0001.vcf", data=card.encode(),
                              headers={"If-None-Match": "*", "Content-Type": "text/vcard"})
        new_reads = _reads(process.pid) - before
        assert created.status_code == 201, created.text
        # the book of every customer read each one's files: 11 057 reads against the edit's 103 on
        # the code before; asking the index, about 1 000 against 133
        assert new_reads < edit_reads + CUSTOMERS, (new_reads, edit_reads)
        # the check still holds: another rep's customer's id as a UID is refused
        taken = kehu("search", "13900000000", "--json", store=root)
        other = json.loads(taken.out)[0]["id"]
        copied = card.replace("PHONE-0001", other).replace("13600009999", "13600008888")
        refused = session.put(f"{book}copied.vcf", data=copied.encode(),
                              headers={"If-None-Match": "*", "Content-Type": "text/vcard"})
        assert refused.status_code == 409, refused.text
        refused = session.put(f"{book}{other}.vcf", data=card.replace("PHONE-0001", "PHONE-0002").replace(
            "13600009999", "13600007777").encode(), headers={"If-None-Match": "*", "Content-Type": "text/vcard"})
        assert refused.status_code == 409, refused.text
    finally:
        process.terminate()
        process.wait(timeout=30)
