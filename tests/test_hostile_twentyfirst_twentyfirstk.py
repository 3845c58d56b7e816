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
