"""Nineteenth outside round, helper D (issue 16: nothing lost, nothing leaked; every user error a
message naming the place). Each failed on the code before its fix; see docs/reliability.md,
"The outside attacker's variants"."""

from __future__ import annotations

from pathlib import Path

import pytest

from kehu_core.models.customer import MAX_ADDRESS, MAX_CONTACTS, MAX_TAGS

from .conftest import kehu
from .test_hostile import tree_hash
from .test_hostile_eighteenth_eighteentha import _killed_while_checking_out
from .test_hostile_eighteenth_eighteenthc import refused_cards
from .test_hostile_git import team  # noqa: F401 (team: a fixture)
from .test_hostile_limits import no_traceback
from .test_team_merge import remote  # noqa: F401 (remote: a fixture)


def _card(*lines: str) -> list[str]:
    return ["BEGIN:VCARD", "VERSION:3.0", *lines, "END:VCARD"]


def test_a_vcards_list_problem_found_by_the_model_is_named_at_its_propertys_line(tmp_path: Path) -> None:
    """A problem the model finds in a list after reading it (the second address of the card,
    once the repeated one is dropped, too long) and a whole-list limit (51 TEL lines; tags of
    two CATEGORIES lines past 200) were said at the card's line alone (`a.vcf:1: addresses.1:
    …`), where every other problem of a card names its property's line. Now the line of the
    offending property (the first past the limit)."""
    shop = tmp_path / "shop"
    assert kehu("init", str(shop), "--no-git").code == 0
    long_adr = "ADR:;;" + "路" * (MAX_ADDRESS + 1) + ";;;;"
    cards = [
        # card at line 1: ADR lines 4, 5 (the same), 6 (too long: addresses.1 once 5 is dropped)
        _card("FN:张三", "ADR:;;文三路1号;;;;", "ADR:;;文三路1号;;;;", long_adr),
        # card at line 8: TEL lines 11.., one repeated (line 12), the 51st distinct one past the limit
        _card("FN:李四", "TEL:13900000000", "TEL:13900000000",
              *(f"TEL:139{n:08d}" for n in range(1, MAX_CONTACTS + 1))),
        # tags of two CATEGORIES lines: the first past the limit is on the second line
        _card("FN:王五", "CATEGORIES:" + ",".join(f"a{n}" for n in range(MAX_TAGS - 1)),
              "CATEGORIES:b1,b2"),
    ]
    starts, at = [], 1
    for card in cards:
        starts.append(at)
        at += len(card)
    lines = refused_cards(shop, tmp_path / "a.vcf", cards)
    tel_past = starts[1] + 3 + 1 + MAX_CONTACTS  # FN, the repeat, 50 distinct numbers
    for card, (line, what) in ((starts[0], (6, "ADR")), (starts[1], (tel_past, "TEL")),
                               (starts[2], (starts[2] + 4, "CATEGORIES"))):
        (said,) = [said for said in lines if f"a.vcf:{card}:" in said]
        assert f"a.vcf:{card}: line {line} ({what}):" in said, said


def test_a_card_kehu_serve_refuses_names_its_propertys_line_as_the_import_does(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """kehu serve answered 422 for a card it refuses with the field alone (`name: holds the
    control character U+001B`, `phones.1: …`), where `kehu import` of the same card names the
    property's line (`line 4 (FN): …`): the phone's card said at its line, in the import's
    words, for a new contact and for an edit alike."""
    from .test_serve import serving

    with serving(tmp_path_factory, "nineteenthd-serve") as server:
        before = tree_hash(server.root / "customers")
        session = server.session("wangfang")
        new = ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ctl-1\r\nFN:赵\x1b敏\r\nEND:VCARD\r\n").encode()
        answer = session.put(f"{server.book('wangfang')}ctl-1.vcf", data=new,
                             headers={"Content-Type": "text/vcard", "If-None-Match": "*"})
        assert answer.status_code == 422 and "line 4 (FN): " in answer.text, (answer.status_code, answer.text)
        sheet = tmp_path / "same.vcf"
        sheet.write_bytes(new)
        imported = kehu("import", str(sheet), store=server.root)
        said = answer.text.split("line 4 (FN): ", 1)[1].split(";")[0]
        assert f"same.vcf:1: line 4 (FN): {said}" in imported.err, (imported.err, answer.text)
        url = f"{server.book('wangfang')}{server.ids['李四']}.vcf"
        got = session.get(url)
        # an edit: a second TEL that is no phone, 51 TEL lines, a control character in the NOTE
        lines = got.text.split("\r\n")
        at = next(n for n, line in enumerate(lines) if line.startswith("FN"))
        for extra, (offset, prop) in ((["TEL:13912345678", "TEL:12"], (2, "TEL")),
                                      ([f"TEL:139{n:08d}" for n in range(MAX_CONTACTS + 1)], (51, "TEL")),
                                      (["NOTE:好\x00客户"], (1, "NOTE"))):
            kept = [line for line in lines if not line.startswith(("TEL", "NOTE"))]
            edited = "\r\n".join([*kept[:at + 1], *extra, *kept[at + 1:]])
            answer = session.put(url, data=edited.encode(), headers={"If-Match": got.headers["ETag"],
                                                                      "Content-Type": "text/vcard"})
            assert answer.status_code == 422, (answer.status_code, answer.text)
            assert f"line {at + 1 + offset} ({prop}): " in answer.text, answer.text
        assert tree_hash(server.root / "customers") == before


def test_a_killed_syncs_put_back_that_fails_is_said_not_hidden(
        team: tuple[Path, Path, str], remote: Path, tmp_path: Path) -> None:  # noqa: F811
    """A sync killed while git wrote the merge, and the clone's put-back failing for a reason of
    its own (here git cannot take its index's lock: a folder stands at `.git/index.lock`): a
    reading command said nothing and went on over the half-merged clone, and a writing command
    ended in git's bare "git reset -q --hard … failed". Now a reading command warns, saying what
    is wrong and what to do, and goes on; a writing command is refused with the same words,
    exit 1, nothing written; the sync's marker is kept, so the command after the mend puts the
    clone back."""
    a, b, _cid = team
    written, _unwritten = _killed_while_checking_out(a, b, tmp_path)
    lock = a / ".git" / "index.lock"
    lock.unlink()
    lock.mkdir()
    listed = kehu("customer", "list", store=a)
    no_traceback(listed)
    assert listed.code == 0, listed.err
    assert "could not be put back" in listed.err and "index.lock" in listed.err, listed.err
    before = tree_hash(a / "customers")
    added = kehu("customer", "add", "--name", "戊", store=a)
    no_traceback(added)
    assert added.code == 1 and "could not be put back" in added.err and "kehu sync" in added.err, added.err
    assert tree_hash(a / "customers") == before
    lock.rmdir()
    checked = kehu("check", store=a)
    assert checked.code == 0 and "put back" in checked.err, checked.err
    assert not (a / written).exists()


def test_the_shard_layout_is_spelled_once_and_the_store_asks_git_below_the_services() -> None:
    """The customers' shard layout as a glob (`customers/*/*/`) was written twice, in the store's
    ledger lookup (a git pathspec) and in the index's SQL; and the store's ledger lookup ran git
    through `kehu_core.services.gitops`, a layer above the store, and a ledger's and a record's
    check named case twins by `services.case_twins`. One spelling now (`paths.in_every_customer`),
    and the store runs git by `kehu_core.gitrun` and names twins by `kehu_core.case_twins`, below it."""
    from .conftest import ROOT
    from .test_architecture import _imports, _module_name, python_files

    spelled = [f"{path.relative_to(ROOT)}:{n}" for path in python_files("kehu_core", "plugins", "tui")
               for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if "customers/*/*" in line and path != ROOT / "kehu_core" / "paths.py"]
    assert spelled == [], spelled
    files = {_module_name(p): p for p in python_files("kehu_core")}
    reaching = {name: sorted(d for d in _imports(files[name], name, set(files)) if d.startswith("kehu_core.services"))
                for name in ("kehu_core.store.ledgers", "kehu_core.store.batch", "kehu_core.store.interactions")}
    assert reaching == {"kehu_core.store.ledgers": [], "kehu_core.store.batch": [],
                        "kehu_core.store.interactions": []}, reaching


def test_the_yaml_modules_stay_under_the_limit_with_the_set_aside_in_its_own() -> None:
    """yamlio/roundtrip.py had grown to 424 lines with the edit beside a very long list (the
    set-aside, 18th round): it moves to yamlio/setaside.py, which builds on roundtrip, and
    `dump_roundtrip` calls it through the object it is given (no import cycle: test_architecture)."""
    from .conftest import ROOT

    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines())
             for path in (ROOT / "kehu_core" / "yamlio").glob("*.py")}
    assert all(lines <= 400 for lines in sizes.values()), sizes
    from kehu_core.yamlio import setaside

    assert callable(setaside.set_aside) and hasattr(setaside.SetAside, "written")
