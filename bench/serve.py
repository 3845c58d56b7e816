"""``kehu serve`` at scale: ``python bench/serve.py --customers 10000``.

A generated store (bench/storegen.py) copied once to ``$KEHU_BENCH_DIR/serve-<n>`` with every
customer given to one rep (王芳), so that rep's address book holds them all; the real
``kehu serve`` in its own process on a free 127.0.0.1 port, and real WebDAV requests as a
phone makes them the first time:

- PROPFIND Depth 1 of the address book (every href and ETag), then addressbook-multiget of
  every card in requests of ``--chunk`` hrefs (DAVx5 asks for 10 at a time, iOS more): on a
  fresh index (unless ``--keep-index``) the moment the server answers, while it makes the
  books and calendars (its warm-up); then on a fresh index again once the warm-up is done;
- how long the server takes to answer, how long its warm-up takes and its CPU time;
- the same fetch again (a second phone, or the next full sync), the rep's calendar (PROPFIND),
  and a fetch the moment a restarted server answers;
- a sync-collection (RFC 6578) right after one edit made with ``kehu customer set``: how
  long, and how many cards it returns (the goal: only that one).

The server's CPU time counts its worker processes (``serve: workers:``, one a core by
default; ``--workers N`` sets it in the store's kehu.yaml, 0: none). ``--first-only``: only
the first fetch on a fresh index, asked the moment the server starts (the worst case).

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.storegen import BENCH_DIR, ensure_store  # noqa: E402

REP = "王芳"
LOGIN, PASSWORD = "wangfang", "bench-password"
NS = {"d": "DAV:", "card": "urn:ietf:params:xml:ns:carddav"}
DAY = "2026-11-20"


def serve_store(customers: int) -> Path:
    """The generated store with every customer owned by REP, and the serve: settings."""
    import bcrypt

    from kehu_core.store import open_store

    root = BENCH_DIR / f"serve-{customers}"
    if (root / ".serve-ready").exists():
        return root
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(ensure_store(customers), root, ignore=shutil.ignore_patterns(".kehu"))
    store = open_store(root, today=DAY)
    with store.lock():
        for row in store.index.list(order="id"):
            if row.customer.owner != REP:
                store.update_customer(row.customer.id, {"owner": REP})
    with (root / "kehu.yaml").open("a", encoding="utf-8") as handle:
        handle.write(f"serve:\n  htpasswd: users.htpasswd\n  users:\n    {LOGIN}: {{rep: {REP}}}\n")
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt()).decode()  # bcrypt's default cost, as htpasswd -B
    (root / "users.htpasswd").write_text(f"{LOGIN}:{hashed}\n")
    (root / ".serve-ready").touch()
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(root: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    """``kehu serve`` on a free port; returns it, its address and how long it took to answer
    (it listens first, then makes every book and calendar on a thread of its own)."""
    import requests

    began = time.perf_counter()
    port = free_port()
    log = root.parent / f"serve-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "kehu_core", "--store", str(root), "serve", "--port",
                                    str(port)], env={**os.environ, "KEHU_TODAY": DAY}, stdout=out,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"kehu serve stopped with exit {process.returncode}: {log.read_text()[-2000:]}")
        try:
            requests.get(url, timeout=5)
            return process, url, time.perf_counter() - began
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("kehu serve did not start")


def wait_warm(root: Path, url: str, process: subprocess.Popen[bytes]) -> float:
    """Seconds until the server says it has made REP's book and calendar (its warm-up)."""
    log = root.parent / f"serve-{url.rsplit(':', 1)[1].strip('/')}.log"
    began = time.perf_counter()
    while f"/{LOGIN}/contacts/" not in log.read_text(errors="replace"):
        if process.poll() is not None:
            raise SystemExit(f"kehu serve stopped: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    return time.perf_counter() - began


def fresh_index(root: Path) -> None:
    """No index, as on a new clone; then ``kehu reindex`` (what any first command does)."""
    shutil.rmtree(root / ".kehu", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(root), "reindex"], check=True,
                   env={**os.environ, "KEHU_TODAY": DAY}, capture_output=True)


def calendar(session, url: str) -> tuple[float, int]:
    """(seconds of a PROPFIND Depth 1 of REP's calendar, events listed)."""
    began = time.perf_counter()
    answer = session.request("PROPFIND", f"{url}{LOGIN}/calendar/", headers={"Depth": "1"},
                             data='<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>')
    return time.perf_counter() - began, answer.content.count(b".ics</")


def cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    """The CPU time (user + system) the server process and its worker processes have used so
    far: on a shared machine wall time says as much about the neighbours as about kehu."""
    return sum(_cpu(pid) for pid in [process.pid, *_children(process.pid)])


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # ended meanwhile
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """The server's child processes (``serve: workers:``), which live as long as it does."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def set_workers(root: Path, workers: int | None) -> None:
    """``serve: workers:`` in the bench store's kehu.yaml (None: kehu's default)."""
    config = root / "kehu.yaml"
    lines = [line for line in config.read_text(encoding="utf-8").splitlines() if not line.startswith("  workers:")]
    if workers is not None:
        lines.append(f"  workers: {workers}")  # serve: is the file's last section (serve_store)
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")


def fetch_all(session, book: str, chunk: int) -> tuple[float, float, int]:
    """(seconds of the PROPFIND, seconds of all multigets, cards fetched)."""
    start = time.perf_counter()
    answer = session.request("PROPFIND", book, headers={"Depth": "1"},
                             data='<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>')
    hrefs = [r.findtext("d:href", namespaces=NS) for r in ET.fromstring(answer.content).findall("d:response", NS)]
    hrefs = [h for h in hrefs if h and h.endswith(".vcf")]
    listed = time.perf_counter() - start
    start = time.perf_counter()
    cards = 0
    for first in range(0, len(hrefs), chunk):
        body = ('<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav">'
                "<d:prop><d:getetag/><card:address-data/></d:prop>"
                + "".join(f"<d:href>{h}</d:href>" for h in hrefs[first:first + chunk])
                + "</card:addressbook-multiget>")
        answer = session.request("REPORT", book, headers={"Depth": "1"}, data=body.encode())
        cards += answer.content.count(b"BEGIN:VCARD")
    return listed, time.perf_counter() - start, cards


def sync(session, book: str, token: str = "") -> tuple[str, list[str]]:
    body = ('<d:sync-collection xmlns:d="DAV:"><d:sync-token>' + token
            + "</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>")
    tree = ET.fromstring(session.request("REPORT", book, headers={"Depth": "1"}, data=body.encode()).content)
    return (tree.findtext("d:sync-token", namespaces=NS) or "",
            [r.findtext("d:href", namespaces=NS) or "" for r in tree.findall("d:response", NS)])


def main() -> None:
    import requests

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10000)
    parser.add_argument("--chunk", type=int, default=100, help="hrefs per addressbook-multiget")
    parser.add_argument("--keep-index", action="store_true",
                        help="keep the index (and the cards rendered in it) instead of starting from none")
    parser.add_argument("--workers", type=int, default=None,
                        help="serve: workers: in the store's kehu.yaml (default: kehu's, one a core)")
    parser.add_argument("--first-only", action="store_true",
                        help="only the first fetch on a fresh index, asked the moment the server starts")
    args = parser.parse_args()
    root = serve_store(args.customers)
    set_workers(root, args.workers)
    session = requests.Session()
    session.auth = (LOGIN, PASSWORD)
    session.headers["User-Agent"] = "DAVx5/4.4 (bench)"
    rows = []
    notes = []
    if not args.keep_index:
        # a fresh index, the phone asking at once: its fetch shares the machine with the warm-up
        fresh_index(root)
        process, url, first_start = start(root)
        book = f"{url}{LOGIN}/contacts/"
        try:
            before = cpu_seconds(process)
            listed, got, cards = fetch_all(session, book, args.chunk)
            rows.append(("first fetch, fresh index, asked at once (the warm-up running)", listed, got, cards,
                         cpu_seconds(process) - before))
        finally:
            process.terminate()
            process.wait()
        notes.append(f"server start on a fresh index until it answers: {first_start:.1f} s")
        if args.first_only:
            _print(args, rows, notes)
            return
        fresh_index(root)
    # the phone asking once the server has made its book and calendar (a fresh index unless --keep-index)
    process, url, first_start = start(root)
    book = f"{url}{LOGIN}/contacts/"
    try:
        warm_wall = wait_warm(root, url, process)
        warm_cpu = cpu_seconds(process)
        notes.append(f"server start until it answers: {first_start:.1f} s; its warm-up (book, both card "
                     f"versions, calendar): {warm_wall:.1f} s more, {warm_cpu:.1f} s CPU in all"
                     f"{' on a fresh index' if not args.keep_index else ''}")
        for label in ("first fetch, after the warm-up", "second fetch"):
            before = cpu_seconds(process)
            listed, got, cards = fetch_all(session, book, args.chunk)
            rows.append((label, listed, got, cards, cpu_seconds(process) - before))
        before = cpu_seconds(process)
        seconds, events = calendar(session, url)
        notes.append(f"calendar PROPFIND after the warm-up: {seconds:.2f} s, {cpu_seconds(process) - before:.2f} s "
                     f"CPU, {events} events")
    finally:
        process.terminate()
        process.wait()
    process, url, second_start = start(root)
    second_cpu = cpu_seconds(process)
    book = f"{url}{LOGIN}/contacts/"
    try:
        before = cpu_seconds(process)
        listed, got, cards = fetch_all(session, book, args.chunk)
        rows.append(("after a restart (at once)", listed, got, cards, cpu_seconds(process) - before))
        token, _ = sync(session, book)
        victim = next(root.glob("customers/*/*/customer.yaml")).parent.name
        title = f"店长 {time.time_ns()}"  # a new value every run: the edit is a change
        subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(root), "customer", "set", victim,
                        f"title={title}"], check=True, env={**os.environ, "KEHU_TODAY": DAY}, capture_output=True)
        start_sync = time.perf_counter()
        _, changed = sync(session, book, token)
        sync_time = time.perf_counter() - start_sync
    finally:
        process.terminate()
        process.wait()
    notes.append(f"a restart: answers after {second_start:.1f} s ({second_cpu:.1f} s CPU)")
    notes.append(f"sync-collection after one `kehu customer set`: {sync_time:.2f} s, "
                 f"{len(changed)} card(s) returned ({', '.join(changed)})")
    _print(args, rows, notes)


def _print(args: argparse.Namespace, rows: list[tuple[str, float, float, int, float]], notes: list[str]) -> None:
    workers = "kehu's default" if args.workers is None else args.workers
    print(f"kehu serve, {REP}'s address book, {args.customers} customers, multiget {args.chunk} per request, "
          f"workers: {workers}\n")
    print("| fetch | PROPFIND Depth 1 | addressbook-multiget (all) | total | server CPU | cards |")
    print("|---|---|---|---|---|---|")
    for label, listed, got, cards, cpu in rows:
        print(f"| {label} | {listed:.2f} s | {got:.2f} s | {listed + got:.2f} s | {cpu:.2f} s | {cards} |")
    print()
    for note in notes:
        print(f"- {note}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
