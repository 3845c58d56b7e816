"""Ninth outside round, B (issue 16, kinds 5 to 9): what a colleague's clone, a second process,
an export's reader, a big input or a plugin can do to a store, found by trying them as a user
would, each seen failing before its fix. Real bare remotes and clones, real processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import git, kehu
from .test_hostile_git import team, work_hash  # noqa: F401 (team: a fixture)
from .test_serve import Server, multiget, propfind_hrefs, serving
from .test_team_merge import ok, remote  # noqa: F401 (remote: a fixture)

KEHU_YAML_CHANGES = {
    "newer-schema": lambda text: text.replace("schema_version: 1", "schema_version: 99"),
    "broken-yaml": lambda text: text + "name: [x\n",
    "plugin-setting-out-of-range": lambda text: text + "  points:\n    expiry_days: 99999\n",
    "today-out-of-range": lambda text: text + "today: 9999-12-31\n",
    "deleted": None,
}


@pytest.mark.parametrize("change", KEHU_YAML_CHANGES.values(), ids=KEHU_YAML_CHANGES.keys())
def test_a_colleagues_kehu_yaml_every_command_refuses_is_not_merged(
        change, team: tuple[Path, Path, str]) -> None:  # noqa: F811
    """kehu.yaml pushed with plain git in a form every command refuses (a schema of a newer
    kehu, a YAML slip, a plugin's setting out of range) was merged by `kehu sync` with exit 0,
    and pushed with a merge commit: the sync checked the store by the settings it had read
    before the merge, and after it every command of every clone stopped on kehu.yaml. A
    kehu.yaml deleted was merged too, after which kehu worked on the demo store."""
    a, b, cid = team
    config = b / "kehu.yaml"
    if change is None:
        git(b, "rm", "-q", "kehu.yaml")
    else:
        config.write_text(change(config.read_text(encoding="utf-8")), encoding="utf-8")
    git(b, "commit", "-qam", "colleague's settings")
    git(b, "push", "-q")
    ok("customer", "set", cid, "notes=在 a 改的", store=a)
    before, head = work_hash(a), git(a, "rev-parse", "HEAD")
    remote_head = git(b, "rev-parse", "HEAD")

    result = kehu("sync", store=a)
    assert result.code == 1, result.out + result.err
    assert "kehu.yaml:" in result.err and "Traceback" not in result.err
    assert "files as they were pushed" in result.err  # the colleague's: the way out is theirs
    assert work_hash(a) == before and git(a, "rev-parse", "HEAD") == head  # as it was
    assert git(a, "ls-remote", "origin", "HEAD").split()[0] == remote_head.strip()  # nothing pushed
    assert kehu("check", store=a).code == 0


# --- kind 8: kehu serve's request bodies ---------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory, "ninth-b") as running:
        yield running


def _peak_kb(pid: int) -> int:
    """The server process's peak resident memory so far (Linux's VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


PROPFIND = '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop>{props}</d:prop></d:propfind>'


def test_a_request_body_that_is_no_card_costs_the_server_bounded_memory(server: Server) -> None:
    """A PROPFIND or REPORT body (XML) was read whole and built into Radicale's tree, with no
    limit on its size: 36 MB of ``<d:getetag/>`` took the server 1.2 GB (and 26 s), and four
    such requests at once would take four times that. Now a body over 16 MB, or of more
    elements than any client sends, is refused (413) as it is read; a phone's requests and a
    multiget of the whole book are answered as before."""
    boss = server.session("boss")
    url = server.book("boss")
    many = PROPFIND.format(props="<d:getetag/>" * 1_000_000).encode()  # 12 MB
    answer = boss.request("PROPFIND", url, data=many, headers={"Depth": "0"})
    assert answer.status_code == 413, answer.status_code
    assert "XML elements" in answer.text
    assert _peak_kb(server.process.pid) < 250_000  # 400 MB before
    big = PROPFIND.format(props="<d:getetag/>" + " " * (17 * 1024 * 1024)).encode()
    answer = boss.request("PROPFIND", url, data=big, headers={"Depth": "0"})
    assert answer.status_code == 413 and "at most 16 MB" in answer.text
    hrefs = list(propfind_hrefs(boss, url))
    assert len(multiget(boss, url, hrefs)) == len(hrefs) == 3  # what clients send still works
