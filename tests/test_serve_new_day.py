"""``kehu serve`` running past midnight makes the new day's address books and calendars before
a phone asks: the real server in its own process, its clock set to a few seconds before
midnight with faketime (the clock then runs on), the day not set (no ``KEHU_TODAY``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import faketime_env, libfaketime
from tests.test_serve import _wait_for_log, free_port, make_store, password, wait_until_up

pytestmark = pytest.mark.skipif(libfaketime(threads=True) is None,
                                reason="libfaketime is not installed (Debian: apt-get install faketime)")


def test_a_server_running_past_midnight_makes_the_new_days_books_ahead(tmp_path: Path) -> None:
    root = tmp_path / "store"
    make_store(root)
    port = free_port()
    log = tmp_path / "serve.log"
    # the day not set; "@": the clock starts there and runs on; libfaketime's thread-safe
    # library (the server answers on threads)
    env = faketime_env("@2026-12-05 23:59:50", threads=True, LANGUAGE="en")
    env.pop("KEHU_TODAY", None)
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "kehu_core", "--store", str(root), "serve",
                                    "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
                                   start_new_session=True)  # its group is ended below, whatever it started
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url, process, log)
        made = _wait_for_log(log, "/wangfang/contacts/", process)  # the day's books, made at the start
        assert "a new day" not in made
        new_day = "a new day (2026-12-06)"
        _wait_for_log(log, new_day, process, deadline_s=120)
        deadline = time.monotonic() + 120  # then every login's book and calendar, before anyone asks
        while not all(book in log.read_text(encoding="utf-8").split(new_day, 1)[1]
                      for book in ("/wangfang/contacts/", "/lilei/contacts/", "/boss/contacts/")):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.05)  # polled: the line is written by the server's own thread
        answer = requests.request("PROPFIND", f"{url}wangfang/contacts/", headers={"Depth": "1"},
                                  auth=("wangfang", password("wangfang")), timeout=60)
        assert answer.status_code == 207
        assert "Traceback" not in log.read_text()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
