"""What a file's first bytes say of its encoding: one home for the importers (a sheet, a
vCard), `kehu serve`'s cards (:func:`head_encoding`) and the records' reader
(``yamlio.files.read_text``, which refuses all but UTF-8's mark)."""

from __future__ import annotations

#: the encodings of a byte order mark whose text holds NUL bytes (:func:`bom_encoding`)
WIDE = ("utf-16", "utf-32")


def is_wide(encoding: str | None) -> bool:
    """True for UTF-16 and UTF-32 (of either byte order): text whose ASCII holds NUL bytes."""
    return encoding is not None and encoding.startswith(WIDE)


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


def head_encoding(head: bytes) -> str | None:
    """The encoding a file's first bytes (``head``: a few KB) plainly say: its byte order
    mark's (:func:`bom_encoding`), else UTF-16 without a mark when its NUL bytes fall where
    UTF-16 puts them for ASCII text (``utf-16-le`` or ``utf-16-be``), else None: UTF-8, GBK and
    the rest are told by reading the text (``importing.encodings.decode_bytes``). Some Windows
    programs and phones save "Unicode" text without the mark: such a card or sheet was refused
    by both doors ("binary file", "cannot tell what kind of file this is")."""
    return bom_encoding(head) or _unmarked_utf16(head)


def _unmarked_utf16(head: bytes) -> str | None:
    """``utf-16-le``/``-be`` when charset_normalizer, asked of those two alone, finds ``head``
    (NUL bytes and no mark) plainly such text: a picture's or a zip's NUL bytes are no text in
    either. Asked only then, so the common path (no NUL) imports nothing."""
    if b"\x00" not in head:
        return None
    head = head[:len(head) // 2 * 2]  # a head cut at an odd byte: the pair it halves left out
    if any(0xD8 <= byte <= 0xDB for byte in head[-2:]):  # a character cut in its surrogate pair
        head = head[:-2]
    from charset_normalizer import from_bytes

    best = from_bytes(head, cp_isolation=["utf_16_le", "utf_16_be"]).best()
    return None if best is None else best.encoding.replace("_", "-")
