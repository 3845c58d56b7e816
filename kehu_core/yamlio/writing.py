"""Writing new records fast: PyYAML's C emitter set up to write the same bytes as the
round-trip writer (:func:`dump_new`), and a ledger entry on one line (:func:`dump_flow_line`)."""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from typing import Any

import yaml

from .reading import FastLoader
from .roundtrip import YAML_BREAKS, dump_roundtrip, to_plain_yaml_value


class _NewFileDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """PyYAML's C emitter, set up to write what :func:`roundtrip_yaml` writes, 10x faster."""


def _fast_decimal(dumper: Any, value: Decimal) -> Any:
    text = format(value, "f")
    if value.as_tuple().exponent >= 0:
        return dumper.represent_scalar("tag:yaml.org,2002:int", text)
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


def _fast_str(dumper: Any, value: str) -> Any:
    if YAML_BREAKS.search(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return yaml.representer.SafeRepresenter.represent_str(dumper, value)


_NewFileDumper.add_representer(Decimal, _fast_decimal)
_NewFileDumper.add_representer(str, _fast_str)
# ruamel's CommentedMap and CommentedSeq (an edited record) are a dict and a list to it
_NewFileDumper.add_multi_representer(dict, yaml.representer.SafeRepresenter.represent_dict)
_NewFileDumper.add_multi_representer(list, yaml.representer.SafeRepresenter.represent_list)


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class _Resolver12(yaml.resolver.BaseResolver):
    """FastLoader's YAML 1.2 view of plain scalars, to compare with PyYAML's 1.1 view."""


_Resolver12.yaml_implicit_resolvers = FastLoader.yaml_implicit_resolvers
_R11, _R12 = yaml.resolver.Resolver(), _Resolver12()


def _needs_ruamel(value: Any) -> bool:
    """Values the C emitter writes differently from ruamel: empty values, characters beyond
    the BMP (emoji), which libyaml escapes, and words that are data only in YAML 1.1 (``no``,
    ``on``), which PyYAML quotes and ruamel does not."""
    if value is None:
        return True
    if isinstance(value, str):
        return _str_needs_ruamel(str(value))
    if isinstance(value, dict):
        return any(_needs_ruamel(k) or _needs_ruamel(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_needs_ruamel(v) for v in value)
    return False


@functools.lru_cache(maxsize=16384)  # keys, tags, levels, owners repeat in every record written
def _str_needs_ruamel(value: str) -> bool:
    # an apostrophe in text that needs quoting: PyYAML single-quotes it, ruamel double-quotes
    if _ASTRAL.search(value) is not None or "'" in value:
        return True
    node = yaml.nodes.ScalarNode
    return _R11.resolve(node, value, (True, False)) != _R12.resolve(node, value, (True, False))


def dump_new(data: Any) -> str:
    """Text of a new record (no comments to keep yet): same bytes as :func:`dump_roundtrip`.

    The two emitters write empty values differently, so data with ``None`` goes to ruamel
    (kehu's own records leave empty fields out)."""
    if _needs_ruamel(data):
        return dump_roundtrip(to_plain_yaml_value(data))
    return yaml.dump(  # noqa: S506 - a safe dumper
        data, Dumper=_NewFileDumper, allow_unicode=True, sort_keys=False,
        default_flow_style=False, width=4096,
    )


def dump_flow_line(data: dict[str, Any]) -> str:
    """One mapping on one line, ``{date: 2026-11-01, delta: 128}``: a ledger entry.

    Always one line: git merges ledgers line by line (``merge=union``), so an entry spread
    over two lines would be cut in half by a merge. Text with a line break in it is written
    double-quoted, the break escaped (``note: "第一行\\n第二行"``).

    An entry's empty value (a first tier move's ``from: null``) is written ``null`` by both
    emitters in a flow mapping: only what else differs goes to ruamel, four times slower (half
    of an import's ledger lines went there)."""
    if any(_needs_ruamel(k) or (v is not None and _needs_ruamel(v)) for k, v in data.items()):
        value = to_plain_yaml_value(data)
        value.fa.set_flow_style()
        line = dump_roundtrip(value).strip()
    else:
        line = yaml.dump(  # noqa: S506 - a safe dumper
            data, Dumper=_NewFileDumper, allow_unicode=True, sort_keys=False,
            default_flow_style=True, width=1_000_000,
        ).strip()
    if "\n" in line or "\r" in line or not _reads_back(line, data):
        line = yaml.dump(  # noqa: S506 - a safe dumper
            data, Dumper=_OneLineDumper, allow_unicode=True, sort_keys=False,
            default_flow_style=True, width=1_000_000,
        ).strip()
    return line


#: what a flow mapping may misread in a plain text: a colon or a hash anywhere, an indicator first
_FLOW_MARKS = re.compile(r"[:#]|^[-?,\[\]{}]")


def _reads_back(line: str, data: dict[str, Any]) -> bool:
    """Whether the line reads back with the texts it was given: ruamel's emitter (an entry
    holding a null) wrote a text such as ``:0`` plain in a flow mapping (``{ref: null, note:
    :0}``), which PyYAML's parser refuses (a hypothesis test found it); such an entry is
    written again with each text holding such a mark double-quoted (:func:`_one_line_str`)."""
    if not any(_FLOW_MARKS.search(v) for v in _texts(data)):
        return True  # (nothing a flow mapping could misread: no parse)
    try:
        loaded = yaml.load(line, Loader=FastLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return False
    return isinstance(loaded, dict) and sorted(_texts(loaded)) == sorted(_texts(data))


def _texts(value: Any) -> list[str]:
    """Every text in a value, keys too, nested lists and mappings opened."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (*_texts(k), *_texts(v))]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _texts(v)]
    return []


class _OneLineDumper(_NewFileDumper):
    """The flow-line writer for entries whose text holds line breaks, or marks a flow mapping
    could misread (``:0``): every such string is double-quoted, where YAML escapes the breaks,
    so the entry stays on one line and reads back as written."""


def _one_line_str(dumper: Any, value: str) -> Any:
    if _LINE_BREAKS.search(value) or _FLOW_MARKS.search(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')
    return _fast_str(dumper, str(value))


_LINE_BREAKS = re.compile("[\n\r\x85\u2028\u2029]")
_OneLineDumper.add_representer(str, _one_line_str)
_OneLineDumper.add_multi_representer(str, _one_line_str)  # ruamel's string types too
_OneLineDumper.add_representer(type(None), yaml.representer.SafeRepresenter.represent_none)
