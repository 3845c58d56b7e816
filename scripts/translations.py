"""Extract kehu's messages, update the catalogs, compile them (``make translations``).

    .venv/bin/python scripts/translations.py          # kehu.pot, zh_CN and en kehu.po, the .mo files
    .venv/bin/python scripts/translations.py --check  # exit 1 listing what lacks a zh_CN translation

The messages are (1) every ``_()``, ``N_()``, ``ngettext()`` of kehu_core, the built-in plugins
and the TUI (Babel's Python extractor), (2) every help text of the ``kehu`` command tree, the
plugins' commands included (click keeps them in docstrings and ``help=``; kehu_core.cli.localize
translates them when a command is looked up) and (3) click's own words ("Usage:", its errors).
New messages arrive in the .po files with an empty translation (or a fuzzy guess from a similar
one): fill in ``msgstr`` in kehu_core/locale/zh_CN/LC_MESSAGES/kehu.po and run this again to
compile. docs/translating.md says more.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "kehu_core" / "locale"
POT = LOCALE / "kehu.pot"
DOMAIN = "kehu"
LANGUAGES = ("zh_CN", "en")
#: the folders whose code is kehu's (the example plugin is a distribution of its own)
SOURCES = ("kehu_core", "plugins", "tui")
SKIP = ("plugins/example",)
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2), "Nn_": (1, 2)}
#: a fixed date in the headers: the files change only when the messages do (time is data)
STAMP = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
PO_OPTIONS = {"width": 100, "sort_by_file": True, "include_lineno": False}


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(language: str) -> Path:
    return po_path(language).with_suffix(".mo")


def code_messages() -> Iterator[tuple[str, str | tuple[str, str], str | None]]:
    """(file, message, translator comment) of every marked string of kehu's code."""
    for folder in SOURCES:
        def keep(path: str, folder: str = folder) -> bool:
            rel = f"{folder}/{path}".replace("\\", "/")
            return not any(rel.startswith(s) for s in SKIP) and "__pycache__" not in rel

        for filename, _lineno, message, comments, _context in extract_from_dir(
                ROOT / folder, keywords=KEYWORDS, comment_tags=("Translators:",),
                strip_comment_tags=True, directory_filter=keep):
            if any(f"{folder}/{filename}".startswith(s) for s in SKIP):
                continue
            yield f"{folder}/{filename}", message, " ".join(comments) or None


def help_messages() -> Iterator[tuple[str, str]]:
    """(command, text) for every help text of the ``kehu`` command tree."""
    from kehu_core import i18n
    from kehu_core.cli import cli
    from kehu_core.cli.localize import english_texts

    i18n.set_language("en")
    for text in english_texts(cli):
        yield "kehu --help", text


def click_messages() -> Iterator[tuple[str, str | tuple[str, str]]]:
    import click

    from kehu_core.cli.localize import CLICK_MODULES

    folder = Path(click.__file__).parent
    for name in CLICK_MODULES:
        path = folder / f"{name}.py"
        for _lineno, message, _comments, _context in extract_from_file(
                "python", str(path), keywords={"_": None, "ngettext": (1, 2)}):
            yield f"click/{name}.py", message


def template() -> Catalog:
    catalog = Catalog(project="kehu", domain=DOMAIN, creation_date=STAMP, revision_date=STAMP,
                      charset="utf-8", fuzzy=False)
    for where, message, comment in code_messages():
        catalog.add(message, locations=[(where, None)], auto_comments=[comment] if comment else ())
    for where, message in help_messages():
        catalog.add(message, locations=[(where, None)])
    for where, message in click_messages():
        catalog.add(message, locations=[(where, None)])
    return catalog


def _write_po(path: Path, catalog: Catalog) -> bool:
    """Write ``catalog`` to ``path`` if that changes it; True when it did."""
    out = io.BytesIO()
    write_po(out, catalog, **PO_OPTIONS, ignore_obsolete=True)
    data = out.getvalue()
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def _read_po(language: str) -> Catalog:
    path = po_path(language)
    if not path.is_file():
        return Catalog(locale=language, domain=DOMAIN, project="kehu", creation_date=STAMP,
                       revision_date=STAMP, charset="utf-8", fuzzy=False)
    with path.open("rb") as f:
        return read_po(f, locale=language, domain=DOMAIN)


def _mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def update() -> list[Path]:
    """Re-extract, update both catalogs, compile them; the files written."""
    pot = template()
    written = [POT] if _write_po(POT, pot) else []
    for language in LANGUAGES:
        catalog = _read_po(language)
        catalog.update(pot, update_creation_date=False)
        catalog.revision_date = STAMP
        if _write_po(po_path(language), catalog):
            written.append(po_path(language))
        with po_path(language).open("rb") as f:  # what was written, as gettext will read it
            data = _mo_bytes(read_po(f, locale=language, domain=DOMAIN))
        if not mo_path(language).is_file() or mo_path(language).read_bytes() != data:
            mo_path(language).write_bytes(data)
            written.append(mo_path(language))
    return written


def missing(language: str = "zh_CN") -> list[str]:
    """The messages of the code that ``language``'s catalog does not translate (absent, empty
    or fuzzy)."""
    catalog = _read_po(language)
    out = []
    for message in template():
        if not message.id:
            continue
        have = catalog.get(message.id)
        if have is None or not _translated(have):
            out.append(message.id if isinstance(message.id, str) else message.id[0])
    return out


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _translated(message: object) -> bool:
    strings = message.string  # type: ignore[attr-defined]
    return not message.fuzzy and (  # type: ignore[attr-defined]
        all(strings) if isinstance(strings, (tuple, list)) else bool(strings))


def stale_mo() -> list[str]:
    """The compiled catalogs that are not their .po compiled."""
    out = []
    for language in LANGUAGES:
        with po_path(language).open("rb") as f:
            po = {_key(m.id): _key(m.string) for m in read_po(f, locale=language, domain=DOMAIN)
                  if m.id and _translated(m) and _key(m.string) != _key(m.id)}
        with mo_path(language).open("rb") as f:
            mo = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id and _key(m.string) != _key(m.id)}
        if po != mo:
            out.append(str(mo_path(language).relative_to(ROOT)))
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="list what lacks a zh_CN translation")
    args = parser.parse_args(argv)
    if args.check:
        lacking, stale = missing(), stale_mo()
        for message in lacking:
            print(f"no zh_CN translation: {message!r}")
        for path in stale:
            print(f"{path} is not its .po compiled: run make translations")
        return 1 if lacking or stale else 0
    for path in update():
        print(path.relative_to(ROOT))
    lacking = missing()
    if lacking:
        print(f"{len(lacking)} messages lack a zh_CN translation: fill in msgstr in "
              f"{po_path('zh_CN').relative_to(ROOT)} and run this again")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
