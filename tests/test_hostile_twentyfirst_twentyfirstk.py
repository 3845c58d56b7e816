"""The twenty-first outside round (K, 2026-12-07): odd key files and recipients, the outbox and
exports against odd input. Each failed on the code before its fix. See docs/reliability.md,
"The outside attacker's variants"."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest

from kehu_core.testing import make_store, run_kehu

TODAY = dt.date(2026, 11, 20)


def _age_key() -> str:
    from pyrage import x25519

    return str(x25519.Identity.generate().to_public())


def _typos(key: str) -> list[str]:
    """``key`` copied wrong: a character changed, the age key's checksum then failing; an SSH
    key's body cut short, or of another kind than its name says; an old 1024-bit RSA key."""
    def field(data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + data

    last = "q" if key[-1] != "q" else "p"
    ed = base64.b64encode(field(b"ssh-ed25519") + field(bytes(32))).decode()
    rsa = base64.b64encode(field(b"ssh-rsa") + field(b"\x01\x00\x01") + field(b"\x00" + b"\xff" * 128)).decode()
    return [key[:-1] + last, key[:20] + ("x" if key[20] != "x" else "y") + key[21:],
            "ssh-rsa AAAA", "ssh-ed25519 " + ed[:-8], "ssh-rsa " + ed, "ssh-rsa " + rsa]


@pytest.mark.parametrize("which", range(6))
def test_a_recipient_key_copied_wrong_is_refused_where_it_is_written(tmp_path: Any, which: int) -> None:
    """`kehu keys add 李娜 age1…` with one character of the key copied wrong (or an SSH key
    cut short, `ssh-rsa AAAA`, or an old 1024-bit RSA key age refuses) was taken (`李娜 added
    to confidential.recipients`, exit 0): the pattern kehu checked looked at the letters, not
    at the key's checksum. From then on every change of a confidential field (`customer set
    c1 family=…`, `kehu keys rotate`) stopped with "internal error: RecipientError: invalid
    Bech32 encoding". A key kehu cannot encrypt to is refused where it is written: `keys add`
    and kehu.yaml's line, naming the recipient."""
    key = _age_key()
    store = make_store(tmp_path / "store", today=TODAY,
                       customers=[{"name": "赵敏", "id": "c1", "owner": "王芳"}])
    assert run_kehu(store, "keys", "add", "王芳", key).code == 0
    bad = _typos(key)[which]
    config = (store.root / "kehu.yaml").read_text(encoding="utf-8")
    added = run_kehu(store, "keys", "add", "李娜", bad)
    assert added.code == 1, added
    assert "李娜" in added.err and "is not an age public key" in added.err, added.err
    assert "Traceback" not in added.err and "internal error" not in added.err
    assert (store.root / "kehu.yaml").read_text(encoding="utf-8") == config
    # written by hand into kehu.yaml: every command names its line
    (store.root / "kehu.yaml").write_text(config.replace(
        "    王芳: ", f"    李娜: {bad}\n    王芳: "), encoding="utf-8")
    changed = run_kehu(store, "customer", "set", "c1", "family=two kids")
    assert changed.code == 1, changed
    assert "kehu.yaml:" in changed.err and "李娜" in changed.err, changed.err
    assert "is not an age public key" in changed.err, changed.err
    assert "internal error" not in changed.err


class _Inbox:
    """An aiosmtpd handler keeping the recipients of each message it takes."""

    def __init__(self) -> None:
        self.received: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(list(envelope.rcpt_tos))
        return "250 OK"


def test_an_address_the_mail_server_cannot_take_fails_alone(tmp_path: Any) -> None:
    """A customer whose email is an internationalized address (`王@例子.cn`, `josé@…`: kehu
    takes them) and a mail server that does not offer SMTPUTF8 (most shop providers): `kehu
    send` stopped the whole send at that customer ("sending stopped at 王 (w): … SMTPUTF8;
    re-run the same command to send the rest"), and the re-run stopped at the same customer
    again, so every customer after it never got the message. The server cannot take that
    address: that one message fails, said in kehu's words, and the rest go out."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = make_store(tmp_path / "store", today=TODAY, customers=[
        {"name": name, "id": cid, "emails": [email]}
        for cid, name, email in [("a", "甲", "a@example.com"), ("w", "王", "王@例子.cn"),
                                 ("j", "José", "josé@example.com"), ("c", "丙", "c@example.com"),
                                 ("d", "丁", "d@example.com")]])
    with (store.root / "kehu.yaml").open("a", encoding="utf-8") as f:
        f.write(f"smtp:\n  host: 127.0.0.1\n  port: {port}\n  from: 茶庄 <shop@example.com>\n"
                "outreach:\n  rate_per_minute: 100000\nsegments:\n  everyone: {}\n")
    (store.root / "templates").mkdir()
    (store.root / "templates" / "hi.j2").write_text("Subject: 你好 {{ name }}\n{{ name }}您好\n",
                                                    encoding="utf-8")
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    controller.start()
    try:
        sent = run_kehu(store, "send", "--segment", "everyone", "--template", "hi", "--json")
        again = run_kehu(store, "send", "--segment", "everyone", "--template", "hi", "--json")
    finally:
        controller.stop()
    assert "Traceback" not in sent.err and "sending stopped" not in sent.err, sent.err
    assert sent.code == 1, sent  # some failed, as a refused recipient makes it
    by_id = {m["id"]: m for m in sent.json()["messages"]}
    assert {cid: by_id[cid]["status"] for cid in by_id} == {
        "a": "sent", "c": "sent", "d": "sent", "w": "failed", "j": "failed"}, by_id
    assert "SMTPUTF8" in by_id["w"]["error"], by_id["w"]
    assert sorted(to for tos in inbox.received for to in tos) == [
        "a@example.com", "c@example.com", "d@example.com"]
    # the re-run sends nothing twice and fails the same two alone
    assert again.code == 1 and again.json()["counts"] == {"already_sent": 3, "failed": 2}, again
