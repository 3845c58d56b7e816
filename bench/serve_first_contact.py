"""The first contact a phone creates, on a big store: ``python bench/serve_first_contact.py``.

A new contact's UID and file name must be no other customer's card's, in any address book
(``serve.backend._not_taken``). That check once made the address book of every customer the
first time a phone created a contact (when no supervisor's book was made yet), while the server
held the store's write lock: a ``kehu`` command writing meanwhile waited for it.

A copy of a generated store (bench/storegen.py, ``--source``, default the 10 000-customer one
with 6 reps) with one rep's login; the real ``kehu serve`` (its warm-up done: the rep's own book
made) and real PUTs: how long the first new contact takes, how long a ``kehu customer set``
started 0.1 s into that PUT takes (against the same command alone), and a second new contact.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.serve import DAY, LOGIN, PASSWORD, start, wait_warm  # noqa: E402
from bench.storegen import BENCH_DIR  # noqa: E402


def prepared(source: Path, root: Path) -> tuple[str, str]:
    """``source`` copied to ``root`` (its index too), served to one rep; (the rep, a customer of another)."""
    import bcrypt

    from kehu_core.store import open_store

    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(source, root)
    store = open_store(root, today=DAY)
    owners = store.index.distinct_owners()
    rep = owners[0]
    other = next(row.customer.id for row in store.index.list(order="id") if row.customer.owner != rep)
    with (root / "kehu.yaml").open("a", encoding="utf-8") as handle:
        handle.write(f"serve:\n  htpasswd: users.htpasswd\n  users:\n    {LOGIN}: {{rep: {rep}}}\n")
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt()).decode()
    (root / "users.htpasswd").write_text(f"{LOGIN}:{hashed}\n")
    return rep, other


def kehu_set(root: Path, customer_id: str, value: str) -> float:
    """Seconds of ``kehu customer set`` in its own process (a writer beside the server)."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(root), "customer", "set", customer_id,
                    f"nickname={value}"], check=True, capture_output=True, env={**os.environ, "KEHU_TODAY": DAY})
    return time.perf_counter() - began


def card(uid: str) -> bytes:
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:新客 {uid[-4:]}\r\n"
            "TEL;TYPE=CELL:+8613{:09d}\r\nEND:VCARD\r\n".format(abs(hash(uid)) % 10**9)).encode()


def main() -> None:
    import requests

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=BENCH_DIR / "store-10000-6")
    parser.add_argument("--root", type=Path, default=BENCH_DIR / "first-contact" / "store")
    args = parser.parse_args()
    _rep, other = prepared(args.source, args.root)
    alone = kehu_set(args.root, other, "alone")
    process, url, _ = start(args.root)
    try:
        wait_warm(args.root, url, process)
        session = requests.Session()
        session.auth = (LOGIN, PASSWORD)
        book = f"{url}{LOGIN}/contacts/"
        beside: list[float] = []
        writer = threading.Timer(0.1, lambda: beside.append(kehu_set(args.root, other, "beside")))
        began = time.perf_counter()
        writer.start()
        first = session.put(f"{book}BENCH-0001.vcf", data=card("BENCH-0001"),
                            headers={"Content-Type": "text/vcard", "If-None-Match": "*"})
        first_s = time.perf_counter() - began
        writer.join()
        began = time.perf_counter()
        second = session.put(f"{book}BENCH-0002.vcf", data=card("BENCH-0002"),
                             headers={"Content-Type": "text/vcard", "If-None-Match": "*"})
        second_s = time.perf_counter() - began
    finally:
        process.terminate()
        process.wait(timeout=60)
    print("| what | status | seconds |\n| --- | --- | --- |")
    print(f"| first new contact (PUT) | {first.status_code} | {first_s:.2f} |")
    print(f"| `kehu customer set` started 0.1 s into it | | {beside[0]:.2f} |")
    print(f"| the same command alone | | {alone:.2f} |")
    print(f"| second new contact (PUT) | {second.status_code} | {second_s:.2f} |")


if __name__ == "__main__":
    main()
