"""Names that look alike though written differently: Anna, and Аnna with a Cyrillic А.

Which letters look like which is Unicode's knowledge (its confusables, UTS #39), read from the
`confusable_homoglyphs` package's copy of it, never a table of kehu's own: kehu kept one by hand,
54 Cyrillic and Greek letters, and a lunate sigma ϲ, a Cyrillic ү or a Cherokee Ꭺ passed for a
Latin letter unseen. The data is loaded on the first name that needs it (a name of Latin letters
beside letters of another script, or `kehu duplicates`), not at start-up.
"""

from __future__ import annotations

import functools
import unicodedata

from .textsearch import name_key

#: what a list's row shows beside a name that mixes scripts (:func:`mixed_script_note` says why)
MIXED_SCRIPT_MARK = "⚠"


@functools.cache
def _look_alike_table() -> dict[int, str]:
    """``str.translate`` table: each letter Unicode's confusables say looks like one ASCII
    letter → that letter (Cyrillic а → a, Greek Κ → K, Cherokee Ꭺ → A). ASCII letters keep
    their look, but for the one Unicode reads as another ASCII letter alone: I is l there (as
    Cyrillic І and the palochka Ӏ are), so Ivan, lvan and Іvan read the same."""
    from confusable_homoglyphs.confusables import confusables_data

    table: dict[int, str] = {}
    for char, alikes in confusables_data.items():
        if len(char) != 1 or not char.isalpha():
            continue
        ascii_alikes = [a["c"] for a in alikes if len(a["c"]) == 1 and a["c"].isascii()]
        letters = [a for a in ascii_alikes if a.isalpha()]
        if not letters:
            continue
        if not char.isascii() or len(ascii_alikes) == 1:
            table[ord(char)] = letters[0]
    return table


def look_alike_key(name: str) -> str:
    """A name as it looks: :func:`textsearch.name_key` in Unicode's compatibility form (NFKC: a
    fullwidth Ｂob is Bob), each letter that looks like an ASCII one read as that letter. Two
    names written differently with one look (Anna, and Аnna with a Cyrillic А) are likely one
    person, or one posing as the other (`kehu duplicates`)."""
    return _read_as(name_key(name))


def _read_as(text: str) -> str:
    """``text`` with each letter read as the ASCII one it looks like, before and after NFKC:
    NFKC makes a Greek lunate sigma ϲ (like c) a final sigma ς (like no Latin letter), and makes
    letters of some compatibility forms Cyrillic or Greek ones that look Latin."""
    table = _look_alike_table()
    return unicodedata.normalize("NFKC", text.translate(table)).translate(table)


def look_alike_letters(name: str) -> list[str]:
    """The letters of ``name`` (not ASCII, each once) that :func:`look_alike_key` reads as
    another: what a message names, as on a screen they look alike too."""
    return [c for c in dict.fromkeys(name) if not c.isascii() and _read_as(c) != c]


def may_look_like_another(name: str) -> bool:
    """Whether :func:`look_alike_key` may read ``name`` (not ASCII) as another name: it has a
    letter of a script that has Latin look-alikes, or a compatibility form (a fullwidth Ｂ).
    A name of Chinese characters and ASCII alone (张伟, Tony张) cannot: asked first, so a store of
    such names never loads Unicode's data (~0.1 s of `kehu duplicates`)."""
    if unicodedata.normalize("NFKC", name) != name:
        return True
    return any(not c.isascii() and c.isalpha() and _script(c) not in _NEVER_LATIN_LOOKING for c in name)


def mixed_scripts(name: str) -> tuple[str, list[str]] | None:
    """Whether ``name`` mixes Latin letters with letters of another script that look like Latin
    ones: (that script's name, such letters in ``name``), else None. Such a name is most often
    one imitating another (a Latin name with a Cyrillic а), which no screen shows. A name of one
    script is not, nor one beside Chinese characters (Tony张), which look like no Latin letter."""
    if name.isascii():
        return None
    latin = False
    others: dict[str, list[str]] = {}
    for char in name:
        if not char.isalpha():
            continue
        script = _script(char)
        if script != "Latin" and unicodedata.normalize("NFKC", char).isascii():
            script = "Latin"  # a fullwidth Ａ, a mathematical 𝐀: Latin letters in another form
        if script == "Latin":
            latin = True
        elif script not in _NEVER_LATIN_LOOKING:
            others.setdefault(script, []).append(char)
    if not latin or not others:
        return None
    table = _look_alike_table()
    for script, letters in others.items():
        alike = [c for c in dict.fromkeys(letters) if ord(c) in table]
        if alike:
            return script, alike
    return None


#: scripts (as :func:`_script` names them) none of whose letters Unicode finds like a Latin one
#: that names are written in here: a Chinese name beside a Latin one (Tony张) loads no data
_NEVER_LATIN_LOOKING = frozenset({"Cjk", "Hiragana", "Katakana", "Hangul", "Bopomofo"})


def _script(char: str) -> str:
    """A letter's script as Unicode names the character: "Latin", "Cyrillic", "Greek", "Cjk"…"""
    word = unicodedata.name(char, "").split(" ", 1)[0]
    return word.capitalize() if word else "Unknown"


def mixed_script_note(name: str) -> str | None:
    """What every screen says of a name that mixes scripts (:func:`mixed_scripts`), in the
    user's language: ``mixes Latin letters with Cyrillic ones (А U+0410), which look alike;
    check it is typed as meant``; None for any other name. The one wording of `kehu check`'s
    warning, `customer show` and the TUI's customer card (its list shows
    :data:`MIXED_SCRIPT_MARK`), which otherwise showed Аnna as Anna."""
    mixed = mixed_scripts(name)
    if mixed is None:
        return None
    from .i18n import _

    script, letters = mixed
    scripts = {"Cyrillic": _("Cyrillic"), "Greek": _("Greek")}
    told = ", ".join(f"{c} U+{ord(c):04X}" for c in letters)
    return _("mixes Latin letters with {script} ones ({letters}), which look alike; check it is typed as "
             "meant").format(script=scripts.get(script, script), letters=told)
