"""``kehu serve``'s worker processes (``serve: workers:``): an address book made whole is made,
and its cards rendered, in processes of their own. What a phone gets from them must be what
the server makes by itself, and what they made must give way to an edit in kehu and to a
kehu.yaml change that alters the cards. The real server, real WebDAV requests."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import requests
import vobject
import yaml

from tests.conftest import kehu
from tests.test_serve import DAY, make_store, multiget, password, propfind_hrefs, start, wait_until_up

AGENTS = {"android": "DAVx5/4.4 (test)", "ios": "iOS/17.0 (21A329) dataaccessd/1.0"}


def set_workers(root: Path, workers: int) -> None:
    with (root / "kehu.yaml").open("a", encoding="utf-8") as handle:
        handle.write(f"  workers: {workers}\n")  # under serve:, the file's last section


@contextlib.contextmanager
def serving(root: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    process, port = start(root)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url, process, root.parent / "serve.log")
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=30)


def session(login: str, agent: str) -> requests.Session:
    out = requests.Session()
    out.auth = (login, password(login))
    out.headers["User-Agent"] = agent
    return out


def fetch(url: str, login: str, agent: str) -> dict[str, tuple[str, str]]:
    """href → (ETag, text) of every card of ``login``'s book, as a phone first fetches it."""
    phone = session(login, agent)
    book = f"{url}{login}/contacts/"
    etags = propfind_hrefs(phone, book)
    texts = multiget(phone, book, list(etags))
    return {href: (etag, texts[href]) for href, etag in etags.items()}


def children(process: subprocess.Popen[str]) -> list[str]:
    """The command lines of the server's child processes."""
    pids = []
    for task in Path(f"/proc/{process.pid}/task").iterdir():
        with contextlib.suppress(OSError):
            pids += (task / "children").read_text().split()
    lines = []
    for pid in pids:
        with contextlib.suppress(OSError):
            lines.append(Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " "))
    return lines


def add_contacts(root: Path, count: int) -> None:
    """``count`` more customers of 王芳 (imported from vCards): enough cards for a multiget
    that the workers render (:data:`kehu_core.serve.pool.RENDER_HERE_FROM`)."""
    tmp = root.parent / "more.vcf"
    tmp.write_text("".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:客户{n}\r\nN:客户{n};;;;\r\n"
                           f"TEL;TYPE=CELL:+86139000{n:05d}\r\nX-KEHU-OWNER:王芳\r\nEND:VCARD\r\n"
                           for n in range(count)), encoding="utf-8")
    result = kehu("--today", DAY, "import", str(tmp), store=root)
    assert result.code == 0, result.err


def test_the_workers_make_the_cards_the_server_makes_by_itself(tmp_path: Path) -> None:
    root = tmp_path / "store"
    make_store(root)
    add_contacts(root, 25)
    alone = tmp_path / "alone" / "store"
    shutil.copytree(root, alone)
    set_workers(root, 2)
    set_workers(alone, 0)
    got = {}
    for where in (root, alone):
        with serving(where) as (url, process):
            workers = [line for line in children(process) if "spawn_main" in line]
            assert len(workers) == (2 if where == root else 0), children(process)
            got[where] = {(login, agent): fetch(url, login, AGENTS[agent])
                          for login in ("wangfang", "boss") for agent in AGENTS}
        assert "worker processes failed" not in (where.parent / "serve.log").read_text()
    assert got[root] == got[alone]
    boss = got[root][("boss", "ios")]
    assert len(boss) == 28 and all("VERSION:3.0" in text for _etag, text in boss.values())
    assert all("VERSION:4.0" in text for _etag, text in got[root][("boss", "android")].values())


def test_an_edit_in_kehu_and_a_kehu_yaml_change_reach_the_phone_from_the_workers(tmp_path: Path) -> None:
    root = tmp_path / "store"
    ids = make_store(root)
    set_workers(root, 2)
    href = f"/wangfang/contacts/{ids['赵敏']}.vcf"
    with serving(root) as (url, _process):
        before = fetch(url, "wangfang", AGENTS["android"])
        assert kehu("--today", DAY, "customer", "set", ids["赵敏"], "title=店长", store=root).code == 0
        edited = fetch(url, "wangfang", AGENTS["android"])
    assert edited[href][0] != before[href][0]
    assert vobject.readOne(edited[href][1]).title.value == "店长"
    others = [h for h in before if h != href]
    assert all(edited[h] == before[h] for h in others)  # the others' cards and ETags as they were
    tiers = {vobject.readOne(text).contents["x-kehu-tier"][0].value for _etag, text in edited.values()}
    assert tiers <= {"重要客户", "主要客户", "普通客户", "小客户"}, tiers

    # the tiers renamed in kehu.yaml: every card changes (made whole again, by the workers)
    config = yaml.safe_load((root / "kehu.yaml").read_text(encoding="utf-8"))
    config["plugins"]["tiering"] = {"pyramid": {"names": ["金", "银", "铜", "铁"]}}
    (root / "kehu.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with serving(root) as (url, _process):
        renamed = fetch(url, "wangfang", AGENTS["android"])
    assert set(renamed) == set(edited)
    assert all(renamed[h][0] != edited[h][0] for h in renamed)
    tiers = {vobject.readOne(text).contents["x-kehu-tier"][0].value for _etag, text in renamed.values()}
    assert tiers and tiers <= {"金", "银", "铜", "铁"}, tiers
    assert vobject.readOne(renamed[href][1]).title.value == "店长"
    assert "worker processes failed" not in (root.parent / "serve.log").read_text()
