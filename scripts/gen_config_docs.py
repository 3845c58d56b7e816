"""docs/reference/configuration.md: every key of kehu.yaml, from the pydantic models.

Written by ``scripts/gen_docs.py`` (with the CLI and hook references); tests/test_docs.py fails
when the page is not what the models say. The top level is ``kehu_core.config.StoreConfig``;
each section that is a model of its own (``complaints:``, ``purchases:``, ``credit:`` ...) gets a
table, and so do the built-in plugins' settings under ``plugins: NAME:``.
"""

from __future__ import annotations

import inspect
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

ROOT = Path(__file__).resolve().parents[1]
CONFIG_MD = ROOT / "docs" / "reference" / "configuration.md"


def _plugin_models() -> list[tuple[str, type[BaseModel]]]:
    """(plugin name, its settings model) of the built-in plugins."""
    from kehu_plugins.points.book import NAME as POINTS
    from kehu_plugins.points.book import PointsSettings
    from kehu_plugins.reminders.rules import NAME as REMINDERS
    from kehu_plugins.reminders.rules import RemindersSettings
    from kehu_plugins.tiering.tier_settings import NAME as TIERING
    from kehu_plugins.tiering.tier_settings import TieringSettings

    return [(TIERING, TieringSettings), (POINTS, PointsSettings), (REMINDERS, RemindersSettings)]


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        out += _models_in(arg)
    return out


def _type(annotation: Any) -> str:
    if annotation is None or annotation is type(None):
        return "null"
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return "section"
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type(a) for a in typing.get_args(annotation))
    if origin is typing.Annotated:
        return _type(typing.get_args(annotation)[0])
    if origin in (list, tuple, set):
        args = typing.get_args(annotation)
        return f"list of {_type(args[0])}" if args else "list"
    if origin is dict:
        return "mapping"
    name = getattr(annotation, "__name__", str(annotation))
    return {"str": "text", "int": "whole number", "float": "number", "bool": "yes/no", "date": "date (YYYY-MM-DD)",
            "Decimal": "amount", "Any": "any"}.get(name, name)


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        try:
            value = info.default_factory()  # type: ignore[call-arg]
        except TypeError:
            return ""
        if isinstance(value, BaseModel):
            return "see below"
        return f"`{value!r}`" if value not in ({}, []) else "empty"
    if info.default is PydanticUndefined:
        return "required"
    if info.default is None:
        return "none"
    return f"`{info.default!r}`".replace("|", "\\|")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _table(model: type[BaseModel], prefix: str, out: list[str], seen: set[type[BaseModel]]) -> None:
    doc = inspect.cleandoc(model.__dict__.get("__doc__") or "")  # its own, not BaseModel's
    out += [f"## `{prefix}`" if prefix else "## The top level", ""]
    if doc:
        out += [_cell(doc.split("\n\n")[0]), ""]
    out += ["| key | type | default | what |", "|---|---|---|---|"]
    nested: list[tuple[str, type[BaseModel]]] = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        out.append(f"| `{key}` | {_type(info.annotation)} | {_default(info)} | {_cell(info.description or '')} |")
        for sub in _models_in(info.annotation):
            if sub not in seen:
                nested.append((f"{prefix}{key}:" if not prefix else f"{prefix} {key}:", sub))
    out.append("")
    for sub_prefix, sub in nested:
        seen.add(sub)
        _table(sub, sub_prefix, out, seen)


def render_config() -> str:
    from kehu_core.config import StoreConfig

    out = [
        "# kehu.yaml reference",
        "",
        "Generated from the settings models (`kehu_core.config.StoreConfig` and the built-in "
        "plugins' settings) by `scripts/gen_docs.py`; do not edit by hand. What the settings are "
        "for, with examples: [kehu.yaml](../configuration.md).",
        "",
    ]
    seen: set[type[BaseModel]] = {StoreConfig}
    _table(StoreConfig, "", out, seen)
    for name, model in _plugin_models():
        seen.add(model)
        _table(model, f"plugins: {name}:", out, seen)
    return "\n".join(out).rstrip("\n") + "\n"
