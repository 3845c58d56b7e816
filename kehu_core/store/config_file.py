"""Reading kehu.yaml: one reading for every door (``Store.open``, and ``kehu keys`` of the
kehu.yaml it is about to write), so what one door takes another never refuses."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from pydantic import ValidationError

from ..config import CONFIG_FILE, StoreConfig
from ..errors import Problem, RecordError, StoreError
from ..i18n import _
from ..models import too_deep
from ..problems import settings_numbers, validation_problems
from ..read_only import read_only
from ..yamlio import YamlFileError, line_of, lines_doc, load_fast, load_fast_text, special_file_message

#: the most kehu.yaml may hold. Every command that opens the store reads, checks and validates
#: it whole: 60 000 segments (1.8 MB, within a record's 2 MiB) added 3 s of CPU to every
#: `customer set`, `tier` and `reminders`, and 9 s to `segment show`. A shop's settings,
#: segments and templates take a few KB; at this size the worst of shapes costs 0.3 s.
MAX_CONFIG_BYTES = 128 * 1024


def read_config(path: Path, text: str | None = None) -> StoreConfig:
    """kehu.yaml's settings, each problem at its line of ``path`` (a :class:`RecordError`):
    kehu's loader (YAML 1.2: `NO`, `yes` and `010` as every record reads them), nesting, the
    numbers by every door's rule, then the model. ``text``: what is to be written to ``path``,
    read as it will be once written (`kehu keys` checked it with PyYAML, YAML 1.1, and refused
    a Norwegian shop's `region: NO` as "yes or no" where every other door took it)."""
    _refuse_too_big(path, text)
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
        return read_only(StoreConfig.model_validate(doc))  # one object for the command: no plugin changes it
    except ValidationError as exc:
        raise RecordError(validation_problems(exc, path, lines_doc(path, text))) from None


def _refuse_too_big(path: Path, text: str | None) -> None:
    """A kehu.yaml (or the text to be written to it) past :data:`MAX_CONFIG_BYTES`, refused
    before it is read (RecordError)."""
    if text is not None:
        size = len(text.encode("utf-8", "surrogatepass"))
    else:
        try:
            size = os.stat(path).st_size
        except OSError:  # none, or a link to nowhere: said by the reading
            return
    if size > MAX_CONFIG_BYTES:
        raise RecordError([Problem(path, 1, _(
            "the file is {size} bytes; kehu.yaml holds at most {most} bytes (every command reads all of it, and a "
            "shop's settings, segments and templates take a few KB): make it smaller").format(
            size=size, most=MAX_CONFIG_BYTES))])


def read_store_config(path: Path) -> StoreConfig:
    """The kehu.yaml of the store in the folder ``path`` (resolved), as opening the store reads
    it (:func:`read_config`), each time: a FIFO or a folder in its place is said, never read; a
    link to nowhere named; none there: no store (StoreError)."""
    config_path = path / CONFIG_FILE
    with contextlib.suppress(OSError):  # a FIFO or a folder named kehu.yaml: said, never read
        mode = os.lstat(config_path).st_mode
        if not stat.S_ISREG(mode) and not stat.S_ISLNK(mode):
            raise RecordError([Problem(config_path, 1, special_file_message(mode))])
    if config_path.is_symlink() and not config_path.exists():
        # a link to nowhere (a clone of a colleague's store whose link pointed into his
        # own folders) is named as such, not as a folder that is no store
        raise RecordError([Problem(config_path, 1, _("a link to {target}, which is not there").format(
            target=os.readlink(config_path)))])
    if not config_path.is_file():
        blocking = next((p for p in (path, *path.parents) if p.exists()), None)
        if blocking is not None and not blocking.is_dir():  # `--store notes.txt`, `KEHU_STORE=/dev/null`:
            # "create one with `kehu init notes.txt`" named a command that refuses a file
            raise StoreError(_("{path}: not a kehu store: {file} is no folder, and a store is a folder "
                               "holding {CONFIG_FILE}").format(path=path, file=blocking, CONFIG_FILE=CONFIG_FILE))
        raise StoreError(
            _("{path}: not a kehu store (no {CONFIG_FILE}); create one with `kehu init {path}`").format(
                path=path, CONFIG_FILE=CONFIG_FILE)
        )
    return read_config(config_path)
