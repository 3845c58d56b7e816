"""Reading kehu.yaml: one reading for every door (``Store.open``, and ``kehu keys`` of the
kehu.yaml it is about to write), so what one door takes another never refuses."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from ..config import StoreConfig
from ..errors import Problem, RecordError
from ..models import too_deep
from ..problems import settings_numbers, validation_problems
from ..yamlio import YamlFileError, line_of, lines_doc, load_fast, load_fast_text


def read_config(path: Path, text: str | None = None) -> StoreConfig:
    """kehu.yaml's settings, each problem at its line of ``path`` (a :class:`RecordError`):
    kehu's loader (YAML 1.2: `NO`, `yes` and `010` as every record reads them), nesting, the
    numbers by every door's rule, then the model. ``text``: what is to be written to ``path``,
    read as it will be once written (`kehu keys` checked it with PyYAML, YAML 1.1, and refused
    a Norwegian shop's `region: NO` as "yes or no" where every other door took it)."""
    try:
        doc = (load_fast(path) if text is None else load_fast_text(path, text)) or {}
    except YamlFileError as exc:
        raise RecordError([exc.problem]) from None
    if not isinstance(doc, dict):
        raise RecordError([Problem(path, 1, "expected a mapping of settings")])
    # nested past what a record may be (300 levels under plugins: made the round-trip
    # loader, which finds lines for a plugin's settings problems, run out of stack)
    deep = too_deep(doc, controls=False)
    if deep is not None:
        raise RecordError([Problem(path, line_of(lines_doc(path, text), deep.loc), str(deep))])
    doc, flags = settings_numbers(StoreConfig, doc, path, text=text)
    if flags:  # `credit_days: true` was one day, `1_0` ten (said first: `false` is "less than 1" to pydantic)
        raise RecordError(flags)
    try:
        return StoreConfig.model_validate(doc)
    except ValidationError as exc:
        raise RecordError(validation_problems(exc, path, lines_doc(path, text))) from None
