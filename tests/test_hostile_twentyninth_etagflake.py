"""The twenty-ninth round's etagflake findings (issue 16): each test failed before its fix."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import kehu
from tests.test_serve import DAY, card_url, propfind_hrefs, serving, show

#: how far ahead of the file system's clock 赵敏's purchase is dated: the two seconds in which the
#: index does not trust a file's mtime then last until after the phone's listing, however slow
#: the machine (a file's mtime ahead of the clock: a colleague's clock, a network file system)
AHEAD_NS = 3_000_000_000
TRUSTED_AFTER_NS = 2_000_000_000  # kehu_core.index.storing: a file older than this is trusted


def _file_clock(folder: Path) -> int:
    """Now, as the file system stamps files."""
    with tempfile.TemporaryFile(dir=folder) as probe:
        return os.fstat(probe.fileno()).st_mtime_ns


def test_a_card_keeps_the_etag_its_listing_gave_when_its_purchase_file_becomes_two_seconds_old(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """A sale of 赵敏 recorded just before the phone's sync, then a colleague's big sale that
    moves her tier (a rank among everyone): the listing shows her card as it was. Two seconds
    later, when the index came to trust the mtime of her purchase's file, her card was made
    again (with the new tier) and the phone's edit, sent with the ETag just listed, was
    refused 412, though nothing of 赵敏 had changed (the suite's flaky test_serve case)."""
    with serving(tmp_path_factory, "serve-etag-racy") as server:
        for name, amount in [("赵敏", "300"), ("李四", "200")]:
            bought = kehu("--today", DAY, "purchase", "add", server.ids[name], "--amount", amount, "--paid",
                          store=server.root)
            assert bought.code == 0, bought.err
        (purchase,) = server.root.glob(f"customers/*/{server.ids['赵敏']}/interactions/*.yaml")
        ahead = _file_clock(server.root.parent) + AHEAD_NS
        os.utime(purchase, ns=(ahead, ahead))
        session = server.session("wangfang")
        book = server.book("wangfang")
        propfind_hrefs(session, book)  # the phone's first sync
        sale = kehu("--today", DAY, "purchase", "add", server.ids["张三"], "--amount", "5000", "--paid",
                    store=server.root)
        assert sale.code == 0, sale.err
        listed = propfind_hrefs(session, book)
        while _file_clock(server.root.parent) <= ahead + TRUSTED_AFTER_NS:  # her file's mtime trusted now
            time.sleep(0.05)
        url = card_url(server, "wangfang", "赵敏")
        href = url.removeprefix(server.url[:-1])
        fetched = session.get(url)
        assert fetched.headers["ETag"] == listed[href]
        edited = fetched.text.replace("tel:+8613912345678", "tel:+8613912340001")
        answer = session.put(url, data=edited.encode(), headers={"If-Match": listed[href],
                                                                  "Content-Type": "text/vcard"})
        assert answer.status_code == 204, answer.text
        assert show(server, server.ids["赵敏"])["phones"] == ["+8613912340001"]
