"""The entries of the workbook parts its readers hold whole, counted as :func:`.limits.check_xlsx`
unpacks each part: the shared texts (``<si>``) and the styles (cell formats, fonts, fills, borders,
number formats, conditional formats).

calamine and openpyxl read a sheet's rows as they go, but build these lists whole before the
first row, at a cost per entry many times its bytes: a 1.6 MB workbook whose styles part held a
million short cell formats (62 MB unpacked, under ``xlsx_unpacked_mb`` and ``xlsx_ratio``) took
openpyxl 1.8 GB and 50 s; 5 million shared texts of three letters no cell used (95 MB) took it
1.1 GB and 97 s (openpyxl reads every workbook calamine refuses). A workbook is refused when its
styles hold more entries than Excel itself makes (65 490 cell formats, and a few thousand of the
rest), or its shared texts more than the cells of its sheets could use, one each.
"""

from __future__ import annotations

import re
from collections import Counter

from ...i18n import _

#: the most style entries a workbook part may hold: Excel makes at most 65 490 cell formats (its
#: specifications and limits), written once as cell formats and once more as cell style formats,
#: with at most 1 024 fonts, 256 fills and borders and 250 number formats; conditional formats
#: (``dxf``) and named styles are few. Far above any workbook Excel or LibreOffice writes; openpyxl
#: holds such a list in about 300 MB.
MAX_STYLE_ENTRIES = 140_000
#: shared texts no cell uses that a workbook may hold beyond its cells (a writer keeping a
#: deleted cell's text): each cell uses at most one
SPARE_SHARED_TEXTS = 100_000

_STYLES = frozenset({b"xf", b"font", b"fill", b"border", b"numFmt", b"dxf", b"cellStyle"})
_ENTRY = re.compile(rb"<(?:[\w.-]+:)?(si|c|xf|font|fill|border|numFmt|dxf|cellStyle)[\s/>]")
#: the most bytes of a piece kept for the next: a start tag cut between two pieces is counted whole
_KEPT = 256


class PartEntries:
    """The entries of one part, fed its unpacked bytes a piece at a time."""

    def __init__(self) -> None:
        self.counts: Counter[bytes] = Counter()
        self._tail = b""

    def feed(self, piece: bytes) -> None:
        data = self._tail + piece
        cut = data.rfind(b"<")  # a tag begun at the end is counted with the next piece, whole
        if cut < 0 or len(data) - cut > _KEPT:  # no tag of these names is that long
            cut = len(data)
        self.counts.update(_ENTRY.findall(data, 0, cut))
        self._tail = data[cut:]

    @property
    def styles(self) -> int:
        return sum(n for name, n in self.counts.items() if name in _STYLES)


class WorkbookEntries:
    """The entries of every part of a workbook (:class:`PartEntries`), and what they allow."""

    def __init__(self) -> None:
        self.cells = 0
        self.shared: list[tuple[str, int]] = []  # each part holding shared texts, and how many

    def part(self, name: str, entries: PartEntries) -> None:
        """``entries`` of the part ``name``, all of it read: refused at once if its styles are
        past the limit (a ``ValueError``, the message naming the part)."""
        self.cells += entries.counts[b"c"]
        if entries.counts[b"si"]:
            self.shared.append((name, entries.counts[b"si"]))
        if entries.styles > MAX_STYLE_ENTRIES:
            raise ValueError(_(
                "{part} holds {count} style entries (cell formats, fonts, fills, borders); Excel makes at most "
                "65 490 cell formats, and reading {count} costs gigabytes of memory: not a workbook kehu "
                "imports (save it again from Excel or LibreOffice, or export the sheet as CSV)").format(
                part=name, count=f"{entries.styles:,}".replace(",", " ")))

    def finish(self) -> None:
        """Every part read: refuse shared texts more than the sheets' cells could use."""
        for name, count in self.shared:
            if count > self.cells + SPARE_SHARED_TEXTS:
                raise ValueError(_(
                    "{part} holds {count} shared texts, and the sheets have {cells} cells to use them: texts no "
                    "cell shows, whose reading costs gigabytes of memory; not a workbook kehu imports (save it "
                    "again from Excel or LibreOffice, or export the sheet as CSV)").format(
                    part=name, count=f"{count:,}".replace(",", " "), cells=f"{self.cells:,}".replace(",", " ")))
