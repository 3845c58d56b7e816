"""The fourteenth outside round (E, 2026-12-06): what earlier helpers of the round found and
left. Each failed on the code before its fix. See docs/reliability.md, "The outside attacker's
variants"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import kehu
from .pluginutil import installed_plugin
from .test_hostile_git import team  # noqa: F401 (a fixture)
from .test_serve import DAY, Server, free_port, make_store, wait_until_up
from .test_team_merge import remote  # noqa: F401 (a fixture)


def test_one_merge_made_in_two_clones_on_two_days_names_the_merged_id_once(
        team: tuple[Path, Path, str]) -> None:  # noqa: F811
    """The supervisor merges 甲's second profile into 甲 (`kehu customer merge 甲 甲2`) on Monday,
    a rep makes the same merge in their clone on Tuesday, before syncing. After both syncs
    `customer show` listed 甲2 twice under "Also known as" (git's merge of the profile joined
    the two clones' also_known lists, whose entries differ by the day). A merged id is named
    once, alike in both clones; `kehu check` is clean."""
    a, b, kept_id = team
    added = kehu("customer", "add", "--name", "甲某", "--phone", "13800138001", "--email", "jia@example.com",
                 store=a)
    assert added.code == 0, added.err
    other_id = added.out.strip()
    for clone in (a, b):
        assert kehu("sync", store=clone).code == 0
    assert kehu("--today", "2026-11-16", "customer", "merge", kept_id, other_id, store=a).code == 0
    assert kehu("--today", "2026-11-17", "customer", "merge", kept_id, other_id, store=b).code == 0
    for clone in (a, b, a):
        synced = kehu("sync", store=clone)
        assert synced.code == 0, synced.out + synced.err
    for clone in (a, b):
        known = kehu("customer", "show", kept_id, "--json", store=clone).json()["also_known"]
        assert [e["id"] for e in known] == [other_id], known
        assert known[0]["name"] == "甲某" and str(known[0]["merged"]) in ("2026-11-16", "2026-11-17"), known
        checked = kehu("check", store=clone)
        assert checked.code == 0, checked.out + checked.err


_HANGS = '''
from kehu_core import hookimpl


@hookimpl
def validate_customer(customer, store):
    if "HANG" in (customer.notes or ""):  # a call to a server that never answers, in a retry loop
        while True:
            try:
                pass
            except Exception:
                continue
    return []
'''


def test_a_plugin_hook_that_never_returns_does_not_hold_kehu_serve(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kehu serve` (run by the shop unattended for the reps' phones) with a third party's
    rule that never returns on one card a phone sends: the PUT waited for ever holding the
    store's lock, and from then on every `kehu` command on the store was refused ("another kehu
    process is writing") and every rep's edit from a phone too, until someone restarted the
    server. Each call of an installed plugin's hook in a request runs at most as long as in
    `kehu sync` (`sync.PLUGIN_HOOK_SECONDS`, 0.5 s here), then is stopped as its plugin's
    failure, named in the server's log; the request is answered and the lock is free."""
    root = tmp_path_factory.mktemp("hangs") / "store"
    site = installed_plugin(root.parent / "site", "hangs_kehu", "hangs", _HANGS)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    ids = make_store(root)
    port, log = free_port(), root.parent / "serve.log"
    bounded = ("import sys; from kehu_core.services import sync; sync.PLUGIN_HOOK_SECONDS = 0.5; "
               "from kehu_core.__main__ import main; main()")
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-c", bounded, "--store", str(root), "serve", "--port", str(port)],
                                   env={**os.environ, "KEHU_TODAY": DAY, "LANGUAGE": "en"}, stdout=out,
                                   stderr=subprocess.STDOUT, text=True)
    server = Server(f"http://127.0.0.1:{port}/", root, ids, process)
    try:
        wait_until_up(server.url, process, log)
        card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:hang-0001\r\nFN:新客\r\nNOTE:HANG\r\nEND:VCARD\r\n".encode()
        # (the client's timeout only keeps a failing test from waiting for ever)
        answer = server.session("wangfang").put(f"{server.book('wangfang')}hang-0001.vcf", data=card, timeout=60,
                                                headers={"Content-Type": "text/vcard", "If-None-Match": "*"})
        # answered: the card is not stored, its rule not having said yes (fifteenth round fifteenthc)
        assert answer.status_code == 503 and "nothing was changed" in answer.text, answer.text
        assert kehu("customer", "list", "--json", store=root).json() and not any(
            c["name"] == "新客" for c in kehu("customer", "list", "--json", store=root).json())
        added = kehu("customer", "add", "--name", "别人", store=root)
        assert added.code == 0, added.err  # the store's lock is free
        assert server.session("lilei").get(server.book("lilei"), timeout=60).status_code < 400
    finally:
        process.terminate()
        process.wait(timeout=30)
    said = log.read_text(encoding="utf-8")
    assert "plugin 'hangs' failed in validate_customer" in said and "0.5 s" in said, said
    assert "Traceback" not in said, said
