"""Render docs/visit-card.png, the picture of a 客户资料卡 in docs/visits.md.

Runs the real commands on a copy of the demo store (``records/``, at its own day): ``kehu visits
cards --owner 王芳`` writes the PDF, and the first page becomes a PNG with poppler's
``pdftoppm`` (``apt-get install poppler-utils``; the Chinese CID font needs ``poppler-data`` and
a CJK font such as ``fonts-wqy-microhei`` to be drawn) or, without it, pypdfium2 if installed.

    .venv/bin/python scripts/card_picture.py [OUT.png]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REP = "王芳"


def main(out: Path) -> None:
    from kehu_core.cli import run

    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "demo"
        shutil.copytree(ROOT / "records", store, ignore=shutil.ignore_patterns(".kehu"))
        pdf = Path(tmp) / "cards.pdf"
        code = run(["--store", str(store), "visits", "cards", "--owner", REP, str(pdf)])
        if code:
            sys.exit(code)
        if shutil.which("pdftoppm"):
            stem = Path(tmp) / "card"
            subprocess.run(["pdftoppm", "-png", "-r", "130", "-f", "1", "-l", "1", "-singlefile",
                            str(pdf), str(stem)], check=True)
            shutil.copyfile(stem.with_suffix(".png"), out)
        else:
            import pypdfium2  # type: ignore[import-not-found]

            page = pypdfium2.PdfDocument(str(pdf))[0]
            page.render(scale=130 / 72).to_pil().save(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "visit-card.png")
