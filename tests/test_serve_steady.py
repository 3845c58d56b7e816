"""``kehu serve`` on a store where nothing changes: requests re-read no file and leave the index
generation where it is, so the books, calendars and cards kept under it are reused; an edit in
kehu still moves it and the phone gets the new card. The real server, real WebDAV requests.

The files are made old with ``os.utime``: a file written in the last two seconds has no trusted
mtime yet, and every refresh of that window re-reads it (and moves the generation) by design."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import vobject

from kehu_core.store import open_store
from tests.conftest import kehu
from tests.test_serve import DAY, Server, make_store, multiget, propfind_hrefs, start, wait_until_up


def make_old(root: Path, seconds: float = 600) -> None:
    """Every file and folder of the store as if written ``seconds`` ago, on the clock that
    stamps files (a file made for it), not the process's: under faketime the two differ, and
    files stamped in the file system's future stay "just written" to the index for ever."""
    with tempfile.NamedTemporaryFile(dir=root.parent) as probe:
        then = os.stat(probe.name).st_mtime - seconds
    for folder, dirs, files in os.walk(root, topdown=False):
        for name in [*files, *dirs]:
            os.utime(os.path.join(folder, name), (then, then), follow_symlinks=False)
    os.utime(root, (then, then))


def generation(root: Path) -> str:
    return open_store(root, today=DAY).index.generation()


def records(root: Path) -> dict[str, tuple[int, int]]:
    """Size and mtime of everything under customers/: what a request must not write."""
    out = {}
    for folder, dirs, files in os.walk(root / "customers"):
        for name in [*files, *dirs]:
            st = os.lstat(os.path.join(folder, name))
            out[os.path.join(folder, name)] = (st.st_size, st.st_mtime_ns)
    return out


def test_requests_on_an_unchanged_store_leave_the_generation_and_an_edit_moves_it(tmp_path: Path) -> None:
    root = tmp_path / "store"
    ids = make_store(root)
    make_old(root)
    generation(root)  # the index takes the old mtimes as they are now
    process, port = start(root)
    server = Server(f"http://127.0.0.1:{port}/", root, ids, process)
    try:
        wait_until_up(server.url, process, tmp_path / "serve.log")
        wang, boss = server.session("wangfang"), server.session("boss")
        before, files = generation(root), records(root)
        for _ in range(4):
            hrefs = propfind_hrefs(wang, server.book("wangfang"))
            assert len(multiget(wang, server.book("wangfang"), list(hrefs))) == 2
            assert len(propfind_hrefs(boss, server.book("boss"))) == 3
            assert boss.request("PROPFIND", f"{server.url}boss/calendar/", headers={"Depth": "1"}).status_code == 207
            assert generation(root) == before
        assert records(root) == files

        href = f"/wangfang/contacts/{ids['李四']}.vcf"
        assert kehu("--today", DAY, "customer", "set", ids["李四"], "phones=13712340001", store=root).code == 0
        assert generation(root) != before
        etags = propfind_hrefs(wang, server.book("wangfang"))
        assert etags[href] != hrefs[href]
        card = vobject.readOne(multiget(wang, server.book("wangfang"), [href])[href])
        assert [tel.value for tel in card.contents["tel"]] == ["tel:+8613712340001"]  # vCard 4.0
    finally:
        process.terminate()
        process.wait(timeout=30)
