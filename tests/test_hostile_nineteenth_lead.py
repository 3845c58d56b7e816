"""Nineteenth round (issue 16), the lead's own: which letters look alike is Unicode's knowledge."""

from __future__ import annotations

from pathlib import Path

from .conftest import kehu
from .test_hostile_seventeenth_seventeenthc import added_and_grouped
from .test_hostile_sixteenth_sixteentha import store_to_send


def test_letters_unicode_finds_alike_are_alike_whatever_their_script(tmp_path: Path) -> None:
    """kehu kept its own table of look-alike letters, 54 Cyrillic and Greek ones: a Lucy whose c
    is a Greek lunate sigma (ϲ U+03F2), an ADAM whose A is Cherokee (Ꭺ U+13AA) and an Іvan whose
    І is Cyrillic (U+0406, which the table read as I though Unicode reads it as l, as it reads I)
    were not grouped with the customer they imitate, and `kehu check` said nothing of the
    Cherokee one. Now the letters are Unicode's confusables (``kehu_core.lookalike``): each is
    grouped with its Latin twin, `check` warns of each mixed name, naming the letter, and a
    name beside Chinese characters (Tony张) or written in one script (Иван) is left alone."""
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    ids, found = added_and_grouped(store, (
        ("Lucy Wang", "13900000001"), ("Lu\u03f2y Wang", "13600000002"), ("ADAM", "13700000003"),
        ("\u13aaDAM", "13800000004"), ("Ivan Li", "13500000005"), ("\u0406van Li", "13300000006"),
        ("Tony张", "13100000007"), ("Иван", "13200000008")))
    groups = sorted(sorted(group["names"]) for group in found.json())
    assert groups == [sorted(["ADAM", "\u13aaDAM"]), sorted(["Ivan Li", "\u0406van Li"]),
                      sorted(["Lucy Wang", "Lu\u03f2y Wang"])], groups
    said = " ".join(group_reason for group in found.json() for group_reason in group["reasons"])
    assert "U+03F2 GREEK LUNATE SIGMA SYMBOL" in said and "U+13AA CHEROKEE LETTER GO" in said, said
    checked = kehu("check", store=store)
    assert checked.code == 0, checked.out + checked.err
    warned = {line.split("/")[-2]: line for line in checked.out.splitlines() if "warning" in line}
    assert set(warned) == {ids["Lu\u03f2y Wang"], ids["\u13aaDAM"], ids["\u0406van Li"]}, checked.out
    assert "Greek" in warned[ids["Lu\u03f2y Wang"]] and "U+03F2" in warned[ids["Lu\u03f2y Wang"]], checked.out
    assert "Cherokee" in warned[ids["\u13aaDAM"]] and "U+13AA" in warned[ids["\u13aaDAM"]], checked.out
    shown = kehu("customer", "show", ids["\u13aaDAM"], store=store)
    assert shown.code == 0 and "⚠" in shown.out and "U+13AA" in shown.out, shown.out


def test_an_outbox_folder_among_the_records_is_named_at_its_line_before_any_send(tmp_path: Path) -> None:
    """kehu.yaml's `plugins: outbox: folder: customers` (or `.git`, `kehu.yaml`, the store
    itself): `kehu check` said ok and `send --dry-run` "will send 1"; the real send then failed
    each message, saying so once a customer, exit 1. Now the setting is refused where every
    plugin setting is, at its kehu.yaml line (the settings model is given the store's folder):
    by `check` and by every command, before anything is sent or written. A folder in .kehu/ or
    outside the store is fine."""
    path = store_to_send(tmp_path)
    config = path / "kehu.yaml"
    plain = config.read_text(encoding="utf-8")
    line = plain.split("\n").index("  disabled: []") + 3
    for folder in ("customers", ".git", "kehu.yaml", ".", "../shop/templates"):
        config.write_text(plain.replace("  disabled: []", f"  disabled: []\n  outbox:\n    folder: {folder}"),
                          encoding="utf-8")
        before = _records(path)
        checked = kehu("check", store=path)
        assert checked.code == 1, (folder, checked.out + checked.err)
        said = checked.out + checked.err
        assert f"kehu.yaml:{line}: plugins.outbox.folder: {folder} is inside the store's records" in said, said
        for argv in (["send", "--segment", "all", "--template", "greet", "--channel", "sms", "--dry-run"],
                     ["send", "--segment", "all", "--template", "greet", "--channel", "sms"]):
            sent = kehu(*argv, store=path)
            assert sent.code == 1 and f"kehu.yaml:{line}: plugins.outbox.folder:" in sent.err, (argv, sent.out)
            assert "will send" not in sent.out and sent.err.count("inside the store's records") == 1, sent.err
        assert _records(path) == before, folder
    for template, folder in (("greet", ".kehu/sms"), ("thanks", str(tmp_path / "gateway"))):
        (path / "templates" / f"{template}.j2").write_text("{{ name }}，您好\n", encoding="utf-8")
        config.write_text(plain.replace("  disabled: []", f"  disabled: []\n  outbox:\n    folder: {folder}"),
                          encoding="utf-8")
        assert kehu("check", store=path).code == 0, folder
        sent = kehu("send", "--segment", "all", "--template", template, "--channel", "sms", store=path)
        assert sent.code == 0, sent.err
        written = path / folder if not folder.startswith("/") else Path(folder)
        assert len(list(written.glob("*.json"))) == 1, folder


def _records(path: Path) -> list[str]:
    """The store's files and folders, but kehu's own state (.kehu/: the index, the journal)."""
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if ".kehu" not in p.relative_to(path).parts)
