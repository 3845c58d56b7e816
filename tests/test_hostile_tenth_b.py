"""Tenth outside round, B (issue 16, kinds 5 to 9): doors the nine rounds before did not try,
each seen failing before its fix. Real stores, real processes, real git remotes and clones."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import kehu, kehu_subprocess
from .test_hostile import tree_hash

# --- kind 8: a message template asking for without end -----------------------------------------

#: a colleague's template (``templates/`` arrives by `kehu sync`) and what `kehu send` says of it
GREEDY_TEMPLATES = {
    # 30 MB of one message, exit 0 (and `center(3 * 10**9)` 3 GB)
    "a-centre-millions-wide": ('{{ "x"|center(30000000) }}', "a message may be at most 1,000,000 characters"),
    # a gigabyte each, exit 0
    "a-text-doubled-by-tilde": (
        '{% set a = "x" * 100000 %}{% set b = a~a~a~a~a~a~a~a~a~a %}{% set c = b~b~b~b~b~b~b~b~b~b %}'
        '{% set d = c~c~c~c~c~c~c~c~c~c %}{% set e = d~d~d~d~d~d~d~d~d~d %}{{ e|length }}',
        "at most 256 MB of memory"),
    "a-replace-of-long-texts": ('{{ ("x" * 10000)|replace("x", "y" * 100000)|length }}', "at most 256 MB of memory"),
    "a-join-of-one-text-many-times": ('{{ (["x" * 10000] * 100000)|join|length }}', "at most 256 MB of memory"),
    # worked out by Jinja while it compiled the template, outside every bound of a render
    "a-format-of-constants": ('{{ "%0999999999d"|format(1)|length }}', "at most 256 MB of memory"),
    # ran for ever
    "a-loop-in-a-loop": ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                         "at most 1,000,000 loop rounds and calls"),
    "a-macro-calling-itself-twice": (
        "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(60) }}",
        "at most 1,000,000 loop rounds and calls"),
    # "internal error: RecursionError"
    "a-macro-calling-itself": ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
                               "a macro or a recursive loop calls itself without end"),
}


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    store = tmp_path / "shop"
    assert kehu("init", str(store)).code == 0
    added = kehu("customer", "add", "--name", "李雷", "--email", "lilei@example.com", "--tag", "茶",
                 "--tag", "书法", store=store)
    assert added.code == 0, added.err
    (store / "templates").mkdir()
    (store / "templates" / "fine.j2").write_text(
        "Subject: 你好 {{ name }}\n\n{{ name }}您好"
        "{% for tag in tags %} {{ loop.index }}/{{ loop.length }} {{ tag }}{% endfor %}\n", encoding="utf-8")
    return store


@pytest.mark.parametrize(("text", "said"), GREEDY_TEMPLATES.values(), ids=GREEDY_TEMPLATES.keys())
def test_a_template_asking_for_without_end_is_refused_at_its_line(shop: Path, text: str, said: str) -> None:
    """The seventh round bounded a template's ``*`` and ``**``; a template has many other ways
    to ask for much (a filter's width, ``~``, ``|replace``, ``|join``, a loop in a loop, a
    macro calling itself), and `kehu send` (``--dry-run`` too) took gigabytes, ran for ever or
    ended in "internal error". Each is now a template error at the template's line, with
    nothing sent or written, and a template that asks for little renders as before."""
    (shop / "templates" / "greedy.j2").write_text(f"Subject: 你好\n{text}\n", encoding="utf-8")
    before = tree_hash(shop)
    try:
        result = kehu_subprocess("send", "--segment", "all", "--template", "greedy", "--dry-run",
                                 store=shop, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("kehu send was still rendering the template after two minutes")
    assert result.returncode == 1, (result.stdout[:300], result.stderr[:300])
    assert "greedy.j2:2: template error: " in result.stderr and said in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert tree_hash(shop) == before
    fine = kehu("send", "--segment", "all", "--template", "fine", "--dry-run", store=shop)
    assert fine.code == 0, fine.err
    assert "李雷您好 1/2 茶 2/2 书法" in fine.out, fine.out
