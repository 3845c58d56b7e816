"""Message templates from a colleague (issue 16, kinds 1 and 8): a store's ``templates/`` is
shared through git like its records, and ``kehu send`` (``--dry-run`` too) renders what
arrives there. A template ran Python of its author's choosing (Jinja2's plain environment: a
shell command through ``cycler.__init__.__globals__``), a template that is a link mailed the
file it points at, a FIFO hung the send, and ``'x' * 10**10`` took all memory (the test asks for 10 MB). Through a real
bare remote, a colleague's clone and ``kehu sync``; the store is left as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import git, kehu
from .test_hostile import tree_hash

SECRET = "root:x:0:0:secret-outside-the-store\n"


@pytest.fixture
def synced(tmp_path: Path) -> tuple[Path, Path]:
    """Clone ``a`` after syncing templates a colleague committed in clone ``b``."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    a = tmp_path / "a"
    assert kehu("init", str(a)).code == 0
    git(a, "remote", "add", "origin", str(remote))
    assert kehu("customer", "add", "--name", "李雷", "--email", "lilei@example.com", store=a).code == 0
    assert kehu("sync", store=a).code == 0
    b = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(remote), str(b))
    (tmp_path / "secret").write_text(SECRET, encoding="utf-8")
    templates = b / "templates"
    templates.mkdir()
    marker = tmp_path / "ran"
    (templates / "evil.j2").write_text(
        "Subject: 你好\n\n{{ cycler.__init__.__globals__.os.popen('touch " + str(marker) + "').read() }}\n",
        encoding="utf-8")
    (templates / "big.j2").write_text("Subject: 你好\n\n{{ ('x' * 10**7) | length }}\n", encoding="utf-8")
    (templates / "fine.j2").write_text("Subject: 你好 {{ name }}\n\n{{ name }}您好\n", encoding="utf-8")
    git(b, "add", "-A")
    git(b, "commit", "-qm", "templates")
    git(b, "push", "-q", "origin", "HEAD")
    assert kehu("sync", store=a).code == 0
    # a link committed by a colleague is refused by `kehu sync` (tests/test_hostile_fifth.py);
    # one made in this clone still reaches `kehu send`, which must not follow it
    (a / "templates" / "leak.j2").symlink_to(tmp_path / "secret")
    return a, marker


@pytest.mark.parametrize(("name", "said"), [
    ("evil", "evil.j2:3: template error: access to attribute '__init__' of"),
    ("leak", "leak.j2:1: is a symbolic link"),
    ("big", "big.j2:3: template error: a text or list of over 100000 items"),
])
def test_a_colleagues_template_runs_no_code_follows_no_link_and_stays_bounded(
        synced: tuple[Path, Path], name: str, said: str) -> None:
    store, marker = synced
    before = tree_hash(store)
    result = kehu("send", "--segment", "all", "--template", name, "--dry-run", store=store)
    assert result.code == 1, (result.out, result.err)
    assert said in result.err, result.err
    assert "Traceback" not in result.err and "secret-outside" not in result.out + result.err
    assert not marker.exists()
    assert tree_hash(store) == before
    fine = kehu("send", "--segment", "all", "--template", "fine", "--dry-run", store=store)
    assert fine.code == 0 and "李雷您好" in fine.out, fine.err


def test_a_template_that_is_a_fifo_is_refused_without_waiting(synced: tuple[Path, Path]) -> None:
    store, _marker = synced
    os.mkfifo(store / "templates" / "wait.j2")
    result = kehu("send", "--segment", "all", "--template", "wait", "--dry-run", store=store)
    assert result.code == 1 and "wait.j2:1: is a FIFO" in result.err, result.err
