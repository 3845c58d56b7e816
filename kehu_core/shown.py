"""How text others wrote is shown on a screen: one rule for kehu's output (``cli.render``), the
reports' drawings the TUI shares (``reports.referrals.drawn_tree``) and what else prints a name."""

from __future__ import annotations

import unicodedata


def visible(text: str) -> str:
    """``text`` with each character a terminal should not be given as it is shown as U+FFFD
    (:func:`_unshown`); printable text, the common case, as it is."""
    if text.isprintable():
        return text
    return "".join("\ufffd" if _unshown(c) else c for c in text)


def _unshown(char: str) -> bool:
    """Whether :func:`visible` shows ``char`` as U+FFFD:

    - a control character (category Cc), but tab and a line feed, which the printers turn into
      spaces: a record holds none (kehu_core.models), but what a plugin computes is printed here
      too, and ESC in it would drive the terminal (clear the screen, retitle the window);
    - an invisible format character (category Cf), but those that join what a person sees as one
      (zero-width joiner and non-joiner: 👨‍👩‍👧, and the tags of a flag). The direction controls a
      text of many lines may hold (a note, a complaint's text, pasted) turned around what followed
      them on the line ("付款 \u202eexe.txt" read "付款 txt.exe", and in `customer show`'s history
      the amount after a text); a zero-width space, a word joiner, a byte order mark or a
      direction mark in a name (pasted from a chat app, or put in to pass for another) made a
      second 张三 look as the first in every list. It shows as "张\ufffd三", as `kehu duplicates`
      names the two and `--json` keeps the text as it is."""
    kind = unicodedata.category(char)
    if kind == "Cc":
        return char not in "\t\n"
    return kind == "Cf" and char not in "\u200c\u200d" and not "\U000e0020" <= char <= "\U000e007f"
