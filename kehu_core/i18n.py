"""kehu speaks the user's language: gettext catalogs, the language chosen, locale formats.

Every user-facing string goes through :func:`_` (or :func:`ngettext`); a string defined at
import time (a table header, a binding, a constant) is marked with :func:`N_` and translated
where it is shown. Click's help texts need no marking: ``kehu_core.cli.localize`` translates a
command's help, short help and option help when the command is looked up, taking the English
text as the message id. The catalogs are ``kehu_core/locale/LANG/LC_MESSAGES/kehu.po`` (and the
compiled ``.mo`` shipped in the wheel); ``make translations`` re-extracts and updates them
(docs/translating.md).

Which language (the first that says one; docs/translating.md#which-language):

1. ``kehu --lang LANG``
2. ``KEHU_LANG``
3. ``language:`` in the store's kehu.yaml
4. ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` (gettext's own order)
5. English

This module is imported by ``kehu --version``: it imports only the standard library, and
Babel (for dates and amounts in the user's locale) only when a number or a date is formatted.
"""

from __future__ import annotations

import contextlib
import functools
import gettext as _gettext
import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datetime as dt
    from decimal import Decimal

DOMAIN = "kehu"
#: ``language: zh_CN`` at the top level of kehu.yaml (quoted or not, a comment after it)
_LANGUAGE_KEY = re.compile(r"""^language:[ \t]*(?:"([^"\n]*)"|'([^'\n]*)'|([^\s#]+))""", re.M)
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: The languages kehu has catalogs for (the first is the language of the source strings).
LANGUAGES = ("en", "zh_CN")
DEFAULT = "en"
#: What the environment variables are read for, in gettext's order.
ENV_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


class _State:
    language: str | None = None
    translation: _gettext.NullTranslations | None = None
    #: how to choose the language when a string is first translated (set by ``kehu``'s run)
    chooser: Callable[[], str] | None = None


def normalize(value: str | None) -> str | None:
    """``zh``, ``zh_CN``, ``zh-CN``, ``zh_CN.UTF-8``, ``zh-Hans`` → ``zh_CN``; ``en_US`` → ``en``;
    ``C``/``POSIX`` → ``en``; a language kehu has no catalog for → None."""
    if not value:
        return None
    code = value.strip().split(".")[0].split("@")[0].replace("-", "_")
    if code in ("C", "POSIX"):
        return "en"
    base = code.split("_")[0].lower()
    if base == "zh":
        return "zh_CN"  # the one Chinese catalog (simplified): zh_TW readers get it too
    if base == "en":
        return "en"
    return None


def from_environment(environ: Mapping[str, str] | None = None) -> str | None:
    """The language the environment asks for (``LANGUAGE`` may list several: ``zh_CN:en``)."""
    environ = os.environ if environ is None else environ
    for var in ENV_VARS:
        value = environ.get(var)
        if not value:
            continue
        for part in value.split(":"):
            found = normalize(part)
            if found:
                return found
        if var != "LANGUAGE":  # the first set of LC_ALL, LC_MESSAGES, LANG decides, as in C
            return None
    return None


def choose(cli: str | None = None, store_language: str | None = None,
           environ: Mapping[str, str] | None = None) -> str:
    """The language by the documented order (module docstring); unknown names are skipped."""
    environ = os.environ if environ is None else environ
    for candidate in (cli, environ.get("KEHU_LANG"), store_language):
        found = normalize(candidate)
        if found:
            return found
    return from_environment(environ) or DEFAULT


def set_language(language: str | None) -> str:
    """Use ``language`` (any spelling :func:`normalize` reads; None: the environment's) from now
    on; returns the language used."""
    chosen = normalize(language) or from_environment() or DEFAULT
    _State.language = chosen
    _State.translation = _gettext.translation(DOMAIN, LOCALE_DIR, languages=[chosen], fallback=True)
    _State.chooser = None
    return chosen


@contextlib.contextmanager
def speaking(language: str) -> Iterator[None]:
    """``language`` inside, the language (or the pending choice) as it was after."""
    saved = (_State.language, _State.translation, _State.chooser)
    set_language(language)
    try:
        yield
    finally:
        _State.language, _State.translation, _State.chooser = saved


def defer(chooser: Callable[[], str] | None) -> None:
    """Choose the language with ``chooser`` when a string is first translated (so a command
    that prints nothing translatable, ``kehu --version``, never looks for the store's
    kehu.yaml); None: from the environment."""
    _State.language = None
    _State.translation = None
    _State.chooser = chooser


def language() -> str:
    """The language in use (chosen now if it was not yet)."""
    if _State.language is None:
        chooser = _State.chooser
        set_language(chooser() if chooser else choose())
    return _State.language  # type: ignore[return-value]


def _translation() -> _gettext.NullTranslations:
    if _State.translation is None:
        language()
    return _State.translation  # type: ignore[return-value]


def _(message: str) -> str:
    """``message`` in the user's language (itself when there is no translation)."""
    if not message:
        return message
    return _translation().gettext(message)


gettext = _


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it now (it is translated where it
    is shown, with :func:`_`): for strings defined at import time."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 - named as N_, its twin
    """Mark a singular/plural pair for the catalog without translating it now (it is
    translated where it is shown, with :func:`ngettext`): pairs defined at import time."""
    return singular, plural


def is_chinese() -> bool:
    return language() == "zh_CN"


# --- the store's language -----------------------------------------------------------------------


def store_language(store_root: Path | None) -> str | None:
    """``language:`` in ``store_root/kehu.yaml`` (None when there is none or it cannot be read:
    the store itself reports a broken kehu.yaml when it opens)."""
    if store_root is None:
        return None
    config = store_root / "kehu.yaml"
    # not yamlio.read_bytes (its messages import this module), but its rules: never a link,
    # never wait on a FIFO put in kehu.yaml's place, regular files only
    try:
        fd = os.open(config, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        text = os.read(fd, 1 << 20).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    finally:
        os.close(fd)
    # a top-level scalar, read by a pattern rather than a YAML parser: no YAML at start-up, and
    # the YAML reader (whose messages are translated) need not be imported by this module
    found = _LANGUAGE_KEY.search(text)
    return next((g for g in found.groups() if g is not None), None) if found else None


# --- dates and amounts in the user's locale (Babel, imported on first use) -----------------------


def _babel_locale() -> str:
    return "zh_Hans_CN" if is_chinese() else "en_US"


def format_date(day: dt.date, format: str = "medium") -> str:
    """A date as the user's locale writes it (``2026年11月20日``, ``Nov 20, 2026``)."""
    from babel.dates import format_date as babel_format_date

    return babel_format_date(day, format=format, locale=_babel_locale())


def format_day(day: dt.date) -> str:
    """A day in a sentence or a title: ISO (2026-11-20) in English, as kehu writes dates
    everywhere, and as Chinese writes them in Chinese (2026年11月20日). Tables, JSON, CSV and
    YAML keep ISO dates."""
    if not is_chinese():
        return day.isoformat()
    return format_date(day, "long")


def format_decimal(value: Decimal | float | int, places: int = 2) -> str:
    """A number with the locale's grouping and ``places`` decimals (``1,234.50``)."""
    # Babel formats Decimal(str(value)) of anything but a Decimal, and str() of a Decimal gives
    # it back exactly (sign, digits, exponent): the text is the key, and what is formatted
    return _formatted(str(value), places, _babel_locale())


@functools.lru_cache(maxsize=4096)
def _formatted(value: str, places: int, locale: str) -> str:
    """:func:`format_decimal`, remembered: the reminder rules format the amount of each
    purchase they greet (15 000 for a book of 10 000, ~9 µs each), and a shop's amounts repeat
    (611 distinct among 15 774 purchases of the bench store's last seven weeks)."""
    pattern, parsed = _number_format(places, locale)
    return str(pattern.apply(value, parsed))  # Babel reads a text as Decimal(text)


@functools.lru_cache(maxsize=16)
def _number_format(places: int, locale: str) -> tuple[Any, Any]:
    """Babel's pattern and locale, parsed once: ``babel.numbers.format_decimal`` parses both
    on every call (75 µs; the reminder rules format an amount for thousands of customers)."""
    from babel import Locale
    from babel.numbers import parse_pattern

    return parse_pattern("#,##0" + ("." + "0" * places if places else "")), Locale.parse(locale)
