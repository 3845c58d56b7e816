"""Help laid out by the width a terminal gives each character.

Click measures and wraps help by counting characters, so a Chinese help (each character two
columns wide, no spaces between words) runs past the right edge and its option column goes
out of line. In Chinese, :class:`WideHelpFormatter` (click's documented ``Context.formatter_class``) pads
and wraps by display width and breaks Chinese between any two characters, never before a
closing punctuation mark, and says the value's letter of a number's range in Chinese
(``[1<=数值<=5]``, click's ``[1<=x<=5]``). English help is left to click, unchanged.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence

import click
from click.formatting import wrap_text

from .. import i18n

#: a wide character (a token of its own), a run of anything else but spaces, or spaces;
#: compiled on first use: only help text is wrapped, and compiling it cost every command ~3 ms
_WIDE = r"\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"


#: the letter click writes for the value in a number's range (``[1<=x<=5]``, "is not in the range
#: 1<=x<=5"): in Chinese a word (数值), so Chinese help holds no stray Latin letter
RANGE_VALUE = i18n.N_("x")

def _range_said(text: str) -> str:
    """``text`` with that letter of click's range in a help line's brackets (``1<=x<=5``, ``0<x``,
    ``[x>=1``, ``; x<=5``) in the user's language."""
    if "x" not in text:
        return text
    return re.sub(r"(?<=[<=])x(?=[<>=])|(?<=[\[ ])x(?=[<>]=?-?\d)", i18n._(RANGE_VALUE), text)


@functools.cache
def _tokens() -> re.Pattern[str]:
    return re.compile(f"[{_WIDE}]|[^\\s{_WIDE}]+|\\s+")


#: marks that never start a line
_CLOSING = set("，。、；：？！）》」』】”’…,.;:?!)]")


def width(text: str) -> int:
    """Columns ``text`` takes on a terminal."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wide(text: str) -> bool:
    """Whether ``text`` is to be laid out here: Chinese help (an English help's few Chinese
    glosses, 客户, are left to click, which never breaks them)."""
    return i18n.is_chinese() and any(unicodedata.east_asian_width(c) in "WF" for c in text)


def _join(lines: Iterable[str]) -> str:
    """A paragraph's lines as one: a space between words, none between Chinese characters."""
    out = ""
    for line in (part.strip() for part in lines):
        if out and line and not (width(out[-1]) == 2 or width(line[0]) == 2):
            out += " "
        out += line
    return out


def _wrap_paragraph(text: str, columns: int) -> Iterator[str]:
    line, used, space = "", 0, False
    for token in _tokens().findall(text):
        if token.isspace():
            space = bool(line)
            continue
        need = width(token) + (1 if space else 0)
        if line and used + need > columns and token[0] not in _CLOSING:
            yield line
            line, used, space = "", 0, False
            need = width(token)
        if space:
            line, used = line + " ", used + 1
        line, used, space = line + token, used + width(token), False
    if line:
        yield line


def wrap(text: str, columns: int, indent: str = "") -> str:
    """``text`` (paragraphs apart by blank lines; one starting with ``\\b`` kept as written)
    wrapped to ``columns`` display columns, each line after ``indent``."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        if out:
            out.append("")
        lines = paragraph.splitlines()
        if lines and lines[0].strip() == "\b":
            out.extend(indent + line for line in lines[1:])
            continue
        margin = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
        out.extend(indent + " " * margin + line
                   for line in _wrap_paragraph(_join(lines), max(columns - len(indent) - margin, 10)))
    return "\n".join(out)


class WideHelpFormatter(click.HelpFormatter):
    """Click's formatter, measuring by display width (module docstring)."""

    def write_heading(self, heading: str) -> None:
        if not i18n.is_chinese():
            super().write_heading(heading)
            return
        self.write(f"{'':>{self.current_indent}}{heading}：\n")  # click writes an ASCII colon

    def write_text(self, text: str) -> None:
        if not _wide(text):
            super().write_text(text)
            return
        self.write(wrap(text, self.width, " " * self.current_indent))
        self.write("\n")

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(first, _range_said(second)) for first, second in rows] if i18n.is_chinese() else list(rows)
        if not any(_wide(first) or _wide(second) for first, second in rows):
            super().write_dl(rows, col_max, col_spacing)
            return
        first_col = min(max((width(first) for first, _second in rows), default=0), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            columns = max(self.width - first_col - self.current_indent, 10)
            text = wrap(second, columns) if _wide(second) else wrap_text(second, columns, preserve_paragraphs=True)
            lines = text.splitlines() or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n" if line else "\n")


class KehuContext(click.Context):
    formatter_class = WideHelpFormatter
