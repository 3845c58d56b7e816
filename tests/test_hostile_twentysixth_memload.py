"""Twenty-sixth round, helper memload: `kehu import`'s memory does not grow with the file
(issue 16, kind 8)."""

from __future__ import annotations

from pathlib import Path

from .peakmem import NEEDS_PROC, import_peaks
from .test_hostile_twentyfifth_memload import _cards

CARDS = 2000  # from 2 000 cards on the workers prepare the contacts (vcard.PARALLEL_FROM): both sizes alike


@NEEDS_PROC
def test_an_imports_memory_hardly_grows_with_the_number_of_contacts(tmp_path: Path) -> None:
    """Every contact read, every customer planned and every one written was held (packed, the
    last round) until the import was written, with its index rows and the journal's copy of
    its file: a phone's export of 100 000 cards took 1.2 GB, 10 000 took 200 MB. What is read
    and planned now lies in a file, and the customers are written, indexed and let go of 2 000
    at a time. The peak of 4 times the cards, into a fresh store, against that of 2 000: it
    grew by 81 MB (13.5 KB a card); now by 24 MB, what the index, the duplicate check and the
    undo journal keep of each customer."""
    imported = import_peaks(tmp_path, (CARDS, 4 * CARDS),
                            lambda folder, count: _cards(folder / f"phone-{count}.vcf", count))
    for count, done in imported.items():
        assert f"{count} created, 0 merged, 0 skipped" in done.out
    peaks = {count: done.peak for count, done in imported.items()}
    grown = peaks[4 * CARDS] - peaks[CARDS]
    assert grown < 45, f"{peaks}: {grown:.0f} MB more for {3 * CARDS} more cards"
