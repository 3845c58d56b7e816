"""What ``kehu serve`` says when it refuses a PUT for the request, not the card: a body over
``import_limits: file_mb`` (said as clearly over the limit, not rounded to it) and a file name
Radicale cannot take (a non-ASCII or control character: named, not blamed on the card). The
real server and a real HTTP client, as tests/test_serve.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kehu_core.services.importing.limits import MB

from .test_hostile import tree_hash
from .test_serve import Server, serving


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A store whose kehu.yaml takes files of at most 1 MB."""
    with serving(tmp_path_factory, "refusals", settings="import_limits:\n  file_mb: 1\n") as server:
        yield server


def _card(uid: str, note: str = "") -> bytes:
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:新客 {uid[-4:]}\r\n"
            + (f"NOTE:{note}\r\n" if note else "") + "END:VCARD\r\n").encode()


def _put(server: Server, name: str, body: bytes):  # type: ignore[no-untyped-def]
    return server.session("wangfang").put(f"{server.book('wangfang')}{name}", data=body,
                                          headers={"Content-Type": "text/vcard", "If-None-Match": "*"})


def test_a_body_just_over_the_limit_is_said_to_be_over_it(server: Server) -> None:
    """1 MB and one byte was "the card is 1.0 MB; kehu accepts at most 1 MB": the size rounded to
    the limit, as if it were refused at the limit."""
    before = tree_hash(server.root / "customers")
    head = _card("big-0001")
    body = head.replace(b"END:VCARD", b"NOTE:" + b"x" * (MB + 1 - len(head) - 7) + b"\r\nEND:VCARD")
    assert len(body) == MB + 1
    answer = _put(server, "big-0001.vcf", body)
    assert answer.status_code == 413, answer.text
    assert "the card is 1.1 MB; kehu accepts at most 1 MB" in answer.text, answer.text
    assert tree_hash(server.root / "customers") == before


@pytest.mark.parametrize(("name", "said"), [
    ("王.vcf", "'王.vcf' holds 王 (U+738B)"),
    ("a%01b.vcf", "'a\\x01b.vcf' holds U+0001"),
    ("a%E2%80%AEb.vcf", "holds U+202E"),
])
def test_a_file_name_radicale_cannot_take_is_named_not_the_card(server: Server, name: str, said: str) -> None:
    """A PUT to 王.vcf with a well-formed card was refused with 400 "not one well-formed vCard",
    blaming the card; the file name is the problem (phones name a card after its UID, in ASCII)."""
    before = tree_hash(server.root / "customers")
    uid = f"name-{abs(hash(name)) % 10_000:04d}"
    answer = _put(server, name, _card(uid))
    assert answer.status_code == 400, answer.text
    assert "file name" in answer.text and said in answer.text, answer.text
    assert "well-formed" not in answer.text, answer.text
    assert tree_hash(server.root / "customers") == before
    # the same card under its UID's name is taken
    assert _put(server, f"{uid}.vcf", _card(uid)).status_code == 201
