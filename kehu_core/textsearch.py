"""What a customer can be found by: name, pinyin (full and initials), phone digits, email, tag."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

_HAN = re.compile(r"[\u3400-\u9fff]")
_NON_DIGIT = re.compile(r"\D")


@functools.lru_cache(maxsize=8192)  # names repeat (王伟, 张敏 ...) and each is asked for thrice
def _syllables(name: str) -> tuple[str, ...]:
    """``赵敏`` → ``("zhao", "min")``; names without Chinese characters give nothing."""
    if not _HAN.search(name):
        return ()
    # Imported here: pypinyin loads its dictionary on import (~0.5 s), which a search for
    # ASCII text (zm, phone digits) and the TUI's first screen do not need.
    from pypinyin import Style, lazy_pinyin

    return tuple(s.lower() for s in lazy_pinyin(name, style=Style.NORMAL, errors="ignore") if s.strip())


def pinyin_keys(name: str) -> tuple[str, ...]:
    """``赵敏`` → ``("zhaomin", "zm")``; names without Chinese characters give nothing."""
    syllables = _syllables(name)
    if not syllables:
        return ()
    return ("".join(syllables), "".join(s[0] for s in syllables))


@functools.lru_cache(maxsize=8192)  # as _syllables: names repeat, and `kehu duplicates` asks each
def spoken_key(name: str) -> str | None:
    """How a name reads aloud, what tells two spellings of one name (张敏 and 章敏: ``zhangmin``)
    from two names: its Chinese characters as pinyin, everything else kept as written (NFKC,
    case, spaces and invisible characters aside), so 客户1 (``kehu1``) and 客户2 are two names,
    as 王芳（2） and 汪芳(2) are one. Names without Chinese characters give None (they are compared
    as written)."""
    if not _HAN.search(name):
        return None
    from pypinyin import Style, lazy_pinyin  # see _syllables

    text = unicodedata.normalize("NFKC", name_key(name))
    return "".join("".join(lazy_pinyin(text, style=Style.NORMAL, errors="default")).casefold().split())


def sort_key(name: str) -> str:
    """Where a name goes in a list: by its pinyin, syllable by syllable (杜海燕 ``du hai yan``
    before 段刚 ``duan gang``), among Latin names, the way a phone lists its contacts."""
    syllables = _syllables(name)
    return " ".join(syllables) if syllables else name.lower()


def phone_digits(phones: Iterable[str]) -> list[str]:
    """Digits of each number, and of the number as dialled at home. Phones are stored in E.164
    (``+8613912345678``), whose digits end with the national number, so a search for ``139...``
    finds them as well as ``86139...``; a landline stored from ``0571-87654321``
    (``+8657187654321``) is also found by ``057187654321`` and ``0571``: its national
    number with the country's trunk prefix (``0`` in China, none where there is none)."""
    out = []
    for phone in phones:
        digits = _NON_DIGIT.sub("", phone)
        out.append(digits)
        if phone.startswith("+"):
            national = _national(digits)
            if national:
                out.append(national)
    return out


def _national(digits: str) -> str | None:
    """``8657187654321`` → ``057187654321``: the trunk prefix and the national number."""
    for length in (1, 2, 3):  # country codes are prefix-free, one to three digits
        prefix = _trunk_prefix(digits[:length])
        if prefix is not None:
            return prefix + digits[length:] if prefix else None
    return None


@functools.lru_cache(maxsize=512)
def _trunk_prefix(country_code: str) -> str | None:
    """The trunk prefix of a country calling code (``86`` → ``0``), ``""`` for a country
    without one, None for no country code. From the phone library's metadata: cheaper than
    parsing and formatting each number (~80 µs) when a whole index is built."""
    import phonenumbers

    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(country_code))
    if not regions:
        return None
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(regions[0])
    return (metadata.national_prefix if metadata else None) or ""


def search_text(
    name: str, *, nickname: str | None = None, organization: str | None = None,
    phones: Iterable[str] = (), emails: Iterable[str] = (), tags: Iterable[str] = (),
) -> str:
    """Everything a customer can be found by, for substring search (LIKE and trigrams). A name
    and a nickname also as they show (:func:`name_key`): "张" + U+200B + "三" (pasted from a chat
    app, or made to look like the other 张三) was found by no search for 张三, which found the
    other one alone."""
    parts = [name, name.replace(" ", ""), name_key(name), *pinyin_keys(name)]
    if nickname:
        parts += [nickname, name_key(nickname), *pinyin_keys(nickname)]
    if organization:
        parts.append(organization)
    parts += phone_digits(phones)
    parts += list(emails)
    parts += [f"#{t}" for t in tags]  # `#vip` also finds `vip`, and `#v` only the tag
    return "\x1f".join(_without_contained(_folded(p) for p in parts if p))


def name_key(name: str) -> str:
    """A name as it shows: composed (NFC), without invisible format characters (a zero-width
    space, a direction mark, a byte order mark, category Cf), its spaces collapsed. What decides
    that two names are the same name: "王芳" and "王芳" + U+200B (pasted from a web page or a
    chat app) look alike on every screen, and a sheet's name-only row of the second made a
    second 王芳 beside the first."""
    return " ".join(_shown(unicodedata.normalize("NFC", name)).split())


def _shown(text: str) -> str:
    """``text`` without its invisible format characters (category Cf)."""
    if text.isprintable():  # the common case, in C: a format character is not printable
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def _folded(text: str) -> str:
    """Lower case in Unicode's composed form (NFC): "José" typed on one keyboard is "Jose" plus a
    combining accent (NFD, as macOS writes file names) on another, and each must find the other."""
    return unicodedata.normalize("NFC", text.lower())


def _without_contained(parts: Iterable[str]) -> list[str]:
    """Drop parts that another part contains (a name without spaces, initials inside ...):
    a substring search finds them there, and a shorter text is cheaper to index."""
    unique = list(dict.fromkeys(parts))
    if len(unique) > _PRUNE_UP_TO:  # pairwise is quadratic: 16 000 tags took 30 s to index
        return unique  # kept whole: a longer text, the same search results
    return [p for p in unique if not any(p != q and p in q for q in unique)]


_PRUNE_UP_TO = 64  # parts of a customer worth comparing pairwise (a name, phones, tags ...)


def normalise_query(query: str) -> tuple[str, str | None]:
    """(text pattern, digits pattern or None). ``+86 139-1234`` searches phone digits."""
    text = _folded(_shown(query).strip())  # as a name shows (a zero-width space pasted with it)
    stripped = re.sub(r"[\s\-()+]", "", text)
    if stripped.isdecimal() and len(stripped) >= 3:
        # in ASCII, as phones are kept: `customer add --phone １３７…` (a Chinese IME's full-width
        # digits) stored +86137…, and a search typed the same way found nothing
        digits = "".join(str(unicodedata.decimal(c)) for c in stripped)
        return digits, digits
    return text.replace(" ", "") if _HAN.search(text) is None and " " in text else text, None
