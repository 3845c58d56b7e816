"""What a file's byte order mark says: one home for the importers (a sheet, a vCard) and the
records' reader (``yamlio.files.read_text``, which refuses all but UTF-8's)."""

from __future__ import annotations

#: the encodings of a byte order mark whose text holds NUL bytes (:func:`bom_encoding`)
WIDE = ("utf-16", "utf-32")


def bom_encoding(head: bytes) -> str | None:
    """The encoding a file's byte order mark says (``head``: its first four bytes or more), or
    None. UTF-32's mark is asked before UTF-16's, which begins it (FF FE 00 00): a UTF-32 sheet
    was read as UTF-16, every row refused as "row has no name, customer id, phone or email"."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    return None


def wide_name(head: bytes) -> str | None:
    """"UTF-16" or "UTF-32" when ``head`` begins with that byte order mark, else None."""
    marked = bom_encoding(head)
    return marked.upper() if marked in WIDE else None
