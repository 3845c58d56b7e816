"""``kehu send`` end to end: real mail to an aiosmtpd server on 127.0.0.1, SMS to the outbox."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from kehu_core.demo import TODAY
from kehu_core.models import Customer
from kehu_core.services.outreach import RateLimiter
from kehu_core.store import open_store
from tests.conftest import kehu

TEMPLATE = """\
Subject: {{ name }}，中秋快乐 — {{ shop }}
{{ name }}您好：

感谢您购买{{ last_product }}。您现在有 {{ points }} 积分。
"""


class Inbox:
    """An aiosmtpd handler that keeps what it receives and can refuse some recipients."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(raw, policy=default_policy)  # type: ignore[misc]
                for _, _, raw in self.received]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Password:
    """Accepts shop@example.com with the password the test put in the environment."""

    def __init__(self, secret: str):
        self.secret = secret
        self.logins: list[str] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and auth_data.password == self.secret.encode():
            self.logins.append(auth_data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int, Password]]:
    inbox, port, password = Inbox(), free_port(), Password("s3cret-茶")
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=password,
                            auth_require_tls=False)
    controller.start()
    try:
        yield inbox, port, password
    finally:
        controller.stop()


def make_store(path: Path, port: int, extra: str = "") -> Path:
    with (path / "kehu.yaml").open("a", encoding="utf-8") as f:
        f.write(
            "name: 测试茶庄\n"
            f"smtp:\n  host: 127.0.0.1\n  port: {port}\n  from: 西湖茶庄 <shop@example.com>\n"
            "outreach:\n  rate_per_minute: 100000\n"
            "segments:\n  everyone: {}\n"
            + extra
        )
    text = (path / "kehu.yaml").read_text(encoding="utf-8")
    # "name:" was written by init: keep the last one only
    first = text.index("name:")
    (path / "kehu.yaml").write_text(
        text[:first] + text[text.index("\n", first) + 1:], encoding="utf-8")
    store = open_store(path)
    for cid, name, emails, dnc, phone in [
        ("zm", "赵敏", ["zm@example.com"], False, "13912345678"),
        ("ls", "李四", ["ls@example.com"], True, "13912345671"),
        ("ww", "王五", [], False, "13912345672"),
        ("qq", "钱七", ["qq7@example.com"], False, "13912345673"),
    ]:
        store.add_customer(Customer(id=cid, name=name, emails=emails, do_not_contact=dnc,
                                    phones=[phone]))
        store.add_interaction(cid, {
            "kind": "purchase", "date": TODAY,
            "items": [{"name": "龙井茶礼盒", "qty": 1, "price": 1288}], "paid": True,
        })
    (path / "templates").mkdir()
    (path / "templates" / "greet.j2").write_text(TEMPLATE, encoding="utf-8")
    return path


def messages_of(store_path: Path, cid: str) -> list[dict[str, Any]]:
    data = kehu("customer", "show", cid, "--json", store=store_path).json()
    return [i for i in data["interactions"] if i["kind"] == "message"]


def test_send_email_end_to_end_with_chinese(store_path: Path, smtp: Any) -> None:
    inbox, port, _ = smtp
    make_store(store_path, port)
    result = kehu("send", "--segment", "everyone", "--template", "greet", "--json",
                  store=store_path)
    assert result.code == 0, result.err
    report = result.json()
    assert report["counts"] == {"sent": 2, "do_not_contact": 1, "no_address": 1}
    assert sorted(to for _, tos, _ in inbox.received for to in tos) == [
        "qq7@example.com", "zm@example.com"]

    mail = next(m for m in inbox.messages() if "zm@example.com" in m["To"])
    assert mail["Subject"] == "赵敏，中秋快乐 — 测试茶庄"
    assert mail["To"].addresses[0].display_name == "赵敏"
    assert mail["From"].addresses[0].display_name == "西湖茶庄"
    raw = next(raw for _, tos, raw in inbox.received if "zm@example.com" in tos)
    raw_subject = next(line for line in raw.split(b"\r\n") if line.startswith(b"Subject:"))
    assert raw_subject.isascii() and b"=?utf-8?" in raw_subject  # RFC 2047, not raw UTF-8
    store = open_store(store_path)
    assert store.plugins is not None
    points = store.plugins.values(store, store.get("zm")).get("points")  # the points plugin's
    assert mail.get_content().replace("\r\n", "\n").strip() == (
        f"赵敏您好：\n\n感谢您购买龙井茶礼盒。您现在有 {points} 积分。")

    recorded = messages_of(store_path, "zm")
    assert len(recorded) == 1
    assert recorded[0]["channel"] == "email" and recorded[0]["key"] == "greet/email"
    assert recorded[0]["subject"] == "赵敏，中秋快乐 — 测试茶庄"
    assert recorded[0]["ref"] == mail["Message-ID"]
    assert messages_of(store_path, "ls") == []  # do not contact: nothing sent, nothing recorded

    again = kehu("send", "--segment", "everyone", "--template", "greet", "--json",
                 store=store_path)
    assert again.code == 0, again.err
    assert again.json()["counts"] == {"already_sent": 2, "do_not_contact": 1, "no_address": 1}
    assert len(inbox.received) == 2  # the same send twice sends once

    other = kehu("send", "--segment", "everyone", "--template", "greet",
                 "--campaign", "中秋-2027", store=store_path)
    assert other.code == 0, other.err
    assert len(inbox.received) == 4  # a new campaign goes out again
    assert len(messages_of(store_path, "zm")) == 2


def test_dry_run_previews_every_message_and_sends_nothing(store_path: Path, smtp: Any) -> None:
    inbox, port, _ = smtp
    make_store(store_path, port)
    result = kehu("send", "--segment", "everyone", "--template", "greet", "--dry-run",
                  store=store_path)
    assert result.code == 0, result.err
    for name in ("赵敏", "钱七", "李四", "王五"):
        assert f"{name}您好" in result.out
    assert "do not contact" in result.out and "no address" in result.out
    assert inbox.received == []
    assert messages_of(store_path, "zm") == []


def test_password_comes_from_the_environment(store_path: Path, smtp: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port, password = smtp
    make_store(store_path, port, "")
    config = store_path / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  from:", "  username: shop@example.com\n  password_env: SHOP_SMTP_PASSWORD\n  from:"),
        encoding="utf-8")
    missing = kehu("send", "--segment", "everyone", "--template", "greet", store=store_path)
    assert missing.code == 1 and "SHOP_SMTP_PASSWORD" in missing.err
    assert inbox.received == []

    monkeypatch.setenv("SHOP_SMTP_PASSWORD", "wrong")
    wrong = kehu("send", "--segment", "everyone", "--template", "greet", store=store_path)
    assert wrong.code == 1 and "SMTP login as shop@example.com" in wrong.err
    assert inbox.received == [] and messages_of(store_path, "zm") == []

    monkeypatch.setenv("SHOP_SMTP_PASSWORD", "s3cret-茶")  # non-ASCII: AUTH PLAIN in UTF-8
    result = kehu("send", "--segment", "everyone", "--template", "greet", store=store_path)
    assert result.code == 0, result.err
    assert password.logins == ["shop@example.com"] and len(inbox.received) == 2
    assert "s3cret" not in config.read_text(encoding="utf-8")


def test_a_password_in_kehu_yaml_is_refused(store_path: Path, smtp: Any) -> None:
    inbox, port, _ = smtp
    make_store(store_path, port)
    config = store_path / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  from:", "  password: hunter2\n  from:"), encoding="utf-8")
    result = kehu("send", "--segment", "everyone", "--template", "greet", store=store_path)
    assert result.code == 1 and "smtp.password" in result.err and "password_env" in result.err
    assert inbox.received == []


def test_a_refused_recipient_fails_alone(store_path: Path, smtp: Any) -> None:
    inbox, port, _ = smtp
    make_store(store_path, port)
    inbox.refuse.add("qq7@example.com")
    result = kehu("send", "--segment", "everyone", "--template", "greet", "--json",
                  store=store_path)
    assert result.code == 1
    by_id = {m["id"]: m for m in result.json()["messages"]}
    assert by_id["qq"]["status"] == "failed" and "550" in by_id["qq"]["error"]
    assert by_id["zm"]["status"] == "sent"
    assert messages_of(store_path, "qq") == []  # not recorded: a re-run tries again
    inbox.refuse.clear()
    retry = kehu("send", "--segment", "everyone", "--template", "greet", "--json",
                 store=store_path)
    assert retry.code == 0 and retry.json()["counts"]["sent"] == 1
    assert len(inbox.received) == 2


def test_server_down_is_a_clear_error(store_path: Path) -> None:
    make_store(store_path, free_port())  # nothing listens there
    result = kehu("send", "--segment", "everyone", "--template", "greet", store=store_path)
    assert result.code == 1 and "cannot connect to SMTP server 127.0.0.1" in result.err
    assert messages_of(store_path, "zm") == []


def test_template_error_names_the_line_and_sends_nothing(store_path: Path, smtp: Any) -> None:
    inbox, port, _ = smtp
    make_store(store_path, port)
    (store_path / "templates" / "bad.j2").write_text(
        "Subject: hi\n{{ name }}\n{{ nmae }}\n", encoding="utf-8")
    result = kehu("send", "--segment", "everyone", "--template", "bad", store=store_path)
    assert result.code == 1
    assert "bad.j2:3: template error: 'nmae' is undefined" in result.err
    (store_path / "templates" / "syntax.j2").write_text("{% if name %}\nhi\n", encoding="utf-8")
    result = kehu("send", "--segment", "everyone", "--template", "syntax", store=store_path)
    assert result.code == 1 and "syntax.j2:" in result.err and "template error" in result.err
    result = kehu("send", "--segment", "everyone", "--template", "nope", store=store_path)
    assert result.code == 1 and "no template 'nope'" in result.err and "greet" in result.err
    assert inbox.received == []


def test_sms_through_the_outbox_plugin(store_path: Path) -> None:
    make_store(store_path, free_port())
    result = kehu("send", "--segment", "everyone", "--template", "greet", "--channel", "sms",
                  "--json", store=store_path)
    assert result.code == 0, result.err
    assert result.json()["counts"] == {"sent": 3, "do_not_contact": 1}
    files = sorted((store_path / ".kehu" / "outbox").glob("*.json"))
    assert len(files) == 3
    sent = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    zm = next(m for m in sent if m["customer_id"] == "zm")
    assert zm["to"] == "+8613912345678" and zm["channel"] == "sms"
    assert zm["body"].startswith("赵敏您好：")
    recorded = messages_of(store_path, "zm")
    assert recorded[0]["channel"] == "sms" and recorded[0]["key"] == "greet/sms"
    assert recorded[0]["ref"] in {f.name for f in files}
    again = kehu("send", "--segment", "everyone", "--template", "greet", "--channel", "sms",
                 store=store_path)
    assert again.code == 0 and len(list((store_path / ".kehu" / "outbox").glob("*.json"))) == 3


def test_outbox_folder_setting(store_path: Path, tmp_path: Path) -> None:
    make_store(store_path, free_port())
    config = store_path / "kehu.yaml"
    spool = tmp_path / "spool"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  disabled: []", f"  disabled: []\n  outbox:\n    folder: {spool}"), encoding="utf-8")
    result = kehu("send", "--segment", "everyone", "--template", "greet", "--channel", "sms",
                  store=store_path)
    assert result.code == 0, result.err
    assert len(list(spool.glob("*.json"))) == 3


def test_one_message_per_address_within_a_send(store_path: Path, smtp: Any) -> None:
    """Two records of one person (or a shared family address, in any case) get one mail, and
    SMS to one phone goes once; the second customer's line says why it was skipped."""
    inbox, port, _ = smtp
    make_store(store_path, port)
    added = kehu("customer", "add", "--name", "赵敏 (old card)", "--email", "ZM@Example.com",
                 "--phone", "+86 139 1234 5678", "--allow-duplicate", store=store_path)
    assert added.code == 0, added.err
    result = kehu("send", "--segment", "everyone", "--template", "greet", "--json", store=store_path)
    assert result.code == 0, result.err
    assert result.json()["counts"] == {"sent": 2, "same_address": 1, "do_not_contact": 1, "no_address": 1}
    tos = sorted(to.lower() for _, recipients, _ in inbox.received for to in recipients)
    assert tos == ["qq7@example.com", "zm@example.com"]  # the doubled address once

    sms = kehu("send", "--segment", "everyone", "--template", "greet", "--channel", "sms", store=store_path)
    assert sms.code == 0, sms.err
    assert "same address as another customer" in sms.out
    outbox = [json.loads(f.read_text(encoding="utf-8")) for f in (store_path / ".kehu" / "outbox").glob("*.json")]
    assert sorted(m["to"] for m in outbox) == ["+8613912345672", "+8613912345673", "+8613912345678"]


def test_unknown_channel(store_path: Path) -> None:
    make_store(store_path, free_port())
    result = kehu("send", "--segment", "everyone", "--template", "greet", "--channel", "fax",
                  store=store_path)
    assert result.code == 1 and "no channel 'fax'" in result.err and "sms" in result.err


def test_rate_limiter_spaces_messages_evenly() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    limiter = RateLimiter(30, clock=lambda: now[0], sleep=sleep)  # one every 2 seconds
    limiter.wait()  # the first goes at once
    now[0] += 0.5  # sending took half a second
    limiter.wait()
    now[0] += 3.0  # a slow message: no extra wait needed
    limiter.wait()
    limiter.wait()
    assert slept == [1.5, 2.0]


def test_builtin_templates_on_the_demo_store(demo_copy: Path) -> None:
    for template in ("birthday", "festival", "winback"):
        result = kehu("send", "--segment", "birthday-this-month", "--template", template,
                      "--dry-run", "--today", TODAY.isoformat(), "--json", store=demo_copy)
        assert result.code == 0, result.err
        data = result.json()
        assert data["messages"] and all(m["body"] for m in data["messages"])
        assert "{{" not in json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize("folder", ["customers", "customers/../customers/zz", ".kehu/../.git/hooks", "inbox-link"])
def test_the_outbox_folder_is_never_among_the_stores_records(store_path: Path, folder: str) -> None:
    """``plugins: outbox: folder:`` comes from kehu.yaml, which every clone shares: set to a
    customer's folder (or ``.git``, or a link in the store to ``customers/``), each message was
    written there, beside the records, with exit 0. It is refused; nothing is written."""
    from .test_hostile import tree_hash

    make_store(store_path, free_port())
    (store_path / "inbox-link").symlink_to(store_path / "customers")
    config = store_path / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  disabled: []", f"  disabled: []\n  outbox:\n    folder: {folder}"), encoding="utf-8")
    before = tree_hash(store_path)
    result = kehu("send", "--segment", "everyone", "--template", "greet", "--channel", "sms",
                  store=store_path)
    assert result.code == 1, result.out
    assert "is inside the store's records" in result.out + result.err and "Traceback" not in result.err
    assert tree_hash(store_path) == before
    (store_path / "inbox-link").unlink()  # a link in a store is a problem of its own for `kehu check`
    checked = kehu("check", store=store_path)  # the setting itself, at its line (nineteenth round)
    assert checked.code == 1 and (checked.out + checked.err).count("plugins.outbox.folder:") == 1, checked.err
