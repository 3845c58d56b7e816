"""The fifteenth outside round (C, 2026-12-06), kinds 7, 8 and 9: exports that attack their
reader, resource exhaustion, plugins. Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import kehu
from .pluginutil import installed_plugin
from .test_serve import DAY, Server, card_url, free_port, make_store, wait_until_up

_FAILS = '''
from kehu_core import hookimpl


@hookimpl
def validate_customer(customer, store):
    if any(phone.endswith("9999") for phone in customer.phones):  # the rule's own server is down
        raise RuntimeError("rule server down")
    return []
'''


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "customers").rglob("*")) if p.is_file()}


def test_a_card_whose_plugin_rule_failed_is_refused_and_not_stored_by_kehu_serve(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kehu serve` with a third party's rule (`validate_customer`) that fails on the card a
    phone sends (its own server down): the failure was only logged and the card stored, the
    phone told 201/204 — and the next `kehu sync` refused the store, the rule failing again
    in its check, with the rep long gone. A write whose plugin hooks failed is undone, as a
    failed hook's writes are, and the phone is answered 503 (send again later) naming the
    plugin; the store is as it was, the undo journal without an entry."""
    root = tmp_path_factory.mktemp("fails") / "store"
    site = installed_plugin(root.parent / "site", "fails_kehu", "fails", _FAILS)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    ids = make_store(root)
    before, journal = _files(root), kehu("undo", "--list", store=root).out
    port, log = free_port(), root.parent / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "kehu_core", "--store", str(root), "serve", "--port",
                                    str(port)], env={**os.environ, "KEHU_TODAY": DAY, "LANGUAGE": "en"},
                                   stdout=out, stderr=subprocess.STDOUT, text=True)
    server = Server(f"http://127.0.0.1:{port}/", root, ids, process)
    try:
        wait_until_up(server.url, process, log)
        session = server.session("wangfang")
        new = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:boom-0001\r\nFN:新客\r\nTEL:13600009999\r\nEND:VCARD\r\n"
        added = session.put(f"{server.book('wangfang')}boom-0001.vcf", data=new.encode(), timeout=60,
                            headers={"Content-Type": "text/vcard", "If-None-Match": "*"})
        url = card_url(server, "wangfang", "李四")
        got = session.get(url, timeout=60)
        assert got.status_code == 200, got.text
        edited = got.text.replace("tel:+8613712340000", "tel:+8613712349999")
        assert edited != got.text
        changed = session.put(url, data=edited.encode(), timeout=60,
                              headers={"If-Match": got.headers["ETag"], "Content-Type": "text/vcard"})
    finally:
        process.terminate()
        process.wait(timeout=30)
    for answer in (added, changed):
        assert answer.status_code == 503, (answer.status_code, answer.text)
        assert "plugin 'fails' failed in validate_customer" in answer.text, answer.text
        assert "nothing was changed" in answer.text, answer.text
    assert _files(root) == before
    assert kehu("undo", "--list", store=root).out == journal
    assert "Traceback" not in log.read_text(encoding="utf-8")
