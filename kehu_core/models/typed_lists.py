"""A list typed as one text (tags, interests, addresses: ``customer set tags=…``, the TUI's
fields, a sheet's cell): where every door cuts it, and the one text of addresses that reads back
as they are."""

from __future__ import annotations

import re

from .hostile import LINE_BREAKS

#: what separates tags (and interests) where they are one text: a sheet's cell (the importer
#: splits on each), ``kehu customer set tags=a,b``, the TUI's field, an export's "a; b". A tag
#: holding one (``--tag "a,b"``, a hand edit, a card's ``CATEGORIES:a\,b``) came back from its
#: own export as two tags: so none holds one
LIST_SEPARATORS = ",，;；、/|"


#: where a list typed as one text is cut: each separator (and a line's end), the spaces round it
_TYPED_LIST_SPLIT = re.compile(rf"\s*[{re.escape(LIST_SEPARATORS)}\n]\s*")


def typed_list(text: str) -> list[str]:
    """The items of a list typed as one text: as written (:func:`written_list`), else cut at
    each of :data:`LIST_SEPARATORS` and at line ends; empty pieces dropped. The one reading of
    every door (``customer set tags=…``, the TUI's fields, a sheet's cell): the CLI and the TUI
    cut at ``,，;；`` alone, the importer at all of them, so ``tags=VIP/茶`` was refused as one
    tag holding ``/`` where the same cell imported two."""
    listed = written_list(text)
    if listed is not None:
        return [item for item in listed if item]
    return [item for item in _TYPED_LIST_SPLIT.split(text.strip()) if item]


def written_list(text: str) -> list[str] | None:
    """The texts of a list written as one (``["VIP","茶"]`` as JSON and ``kehu export`` write it,
    ``[VIP, 茶]`` in YAML's flow form), each as written and trimmed; None when ``text`` is no such
    list (the caller splits it at its separators). Every door that reads a list from one text
    (``customer set tags=…``, the TUI's field, a sheet's cell) asks it first: each split at the
    comma inside the brackets (tags ``["VIP"`` and ``"茶"]``)."""
    text = text.strip()
    if not (text.startswith("[") and text.endswith("]")):
        return None
    import json

    try:
        listed = json.loads(text)  # as an export wrote it (its escapes are JSON's)
    except (ValueError, RecursionError):  # "[[[[…" thousands deep is text: no crash
        import yaml

        try:  # every scalar a text: a phone 0139… keeps its 0
            listed = yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 (BaseLoader makes no object)
        except (yaml.YAMLError, RecursionError):
            return None
    if isinstance(listed, list) and all(isinstance(item, str) for item in listed):
        return [item.strip() for item in listed]
    return None


#: what separates addresses typed as one text (``customer set addresses=…``, the TUI's field, a
#: sheet's cell): ``;``, ``；`` and a line's end. Not :data:`LIST_SEPARATORS`: an address holds
#: commas, ``/``, ``、`` and ``|`` (``上海市徐汇区1号楼/2单元``, ``Room 3, 88 Caoxi Rd``)
ADDRESS_SEPARATORS = ";；"
_TYPED_ADDRESS_SPLIT = re.compile(f"[{re.escape(ADDRESS_SEPARATORS + LINE_BREAKS)}]")


def typed_addresses(text: str) -> list[str]:
    """The addresses typed as one text: as written (:func:`written_list`: ``["杭州市; 1号", "上海"]``),
    else cut at each of :data:`ADDRESS_SEPARATORS` and at line ends, each trimmed; empty pieces
    dropped. The one reading of every door: ``customer set addresses=甲; 乙`` kept one address,
    the TUI's form cut at ``;；|`` (an address holding ``|`` was two), the importer at ``;；``
    and a line feed."""
    listed = written_list(text)
    if listed is not None:
        return [item for item in listed if item]
    return [item.strip() for item in _TYPED_ADDRESS_SPLIT.split(text) if item.strip()]


def addresses_text(addresses: list[str]) -> str:
    """Addresses as one text that :func:`typed_addresses` reads back as they are: joined by
    ``; ``, or, where that would read otherwise (one holds ``;`` or a line break: ``Room 3, 88
    Caoxi Rd; Shanghai``), a JSON list. What an export's cell and the TUI's field show."""
    import json

    joined = "; ".join(addresses)
    return joined if typed_addresses(joined) == list(addresses) else json.dumps(list(addresses), ensure_ascii=False)
