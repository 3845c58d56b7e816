"""Nineteenth round (issue 16), the lead's own: which letters look alike is Unicode's knowledge."""

from __future__ import annotations

from pathlib import Path

from .conftest import kehu


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
    ids = {}
    for name, phone in (("Lucy Wang", "13900000001"), ("Lu\u03f2y Wang", "13600000002"), ("ADAM", "13700000003"),
                        ("\u13aaDAM", "13800000004"), ("Ivan Li", "13500000005"), ("\u0406van Li", "13300000006"),
                        ("Tony张", "13100000007"), ("Иван", "13200000008")):
        done = kehu("customer", "add", "--name", name, "--phone", phone, store=store)
        assert done.code == 0, done.err
        ids[name] = done.out.strip()
    found = kehu("duplicates", "--json", store=store)
    assert found.code == 0, found.err
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
