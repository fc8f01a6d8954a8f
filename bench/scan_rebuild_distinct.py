"""No-change rebuild of a corpus of scans without duplicates: each document of the scan dev set once, in
one of the OCR'd forms in turn (clean, poor, phone, screenshot, mixed, webp), the dev set's OCR cache
copied in; first build, then three no-change rebuilds (hash encoder: nothing is embedded again).

bench/scan_rebuild.py puts all 8 forms of each document in one corpus: once OCR reads a document letter
for letter, its forms have the same content and all but one are skipped as duplicates, which a build
reads again every time (index/store.py: the document they repeat may have changed). This corpus has none.

    PYTHONPATH=$PWD .venv/bin/python bench/scan_rebuild_distinct.py --devset /tmp/sd20b --out /tmp/rebuild20
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from index.store import OCR_CACHE_DIR, build_index
from tests.fakes import HashEncoder

FORMS = ("clean", "poor", "phone", "screenshot", "mixed", "webp")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devset", type=Path, default=Path("/tmp/scan-devset"))
    ap.add_argument("--out", type=Path, default=Path("/tmp/rebuild20"))
    args = ap.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    corpus, index = args.out / "corpus", args.out / "index"
    corpus.mkdir(parents=True)
    index.mkdir()
    for i, stem in enumerate(sorted(p.stem for p in (args.devset / "text").iterdir())):
        form = FORMS[i % len(FORMS)]
        source = next((args.devset / form).glob(f"{stem}.*"))
        shutil.copy(source, corpus / f"{form}-{source.name}")
    for form in FORMS:
        shutil.copytree(args.devset / "ocr-cache" / form, index / OCR_CACHE_DIR, dirs_exist_ok=True)
    encoder = HashEncoder()
    print("load", os.getloadavg())
    for label in ("first build", "no-change rebuild", "no-change rebuild", "no-change rebuild"):
        started = time.perf_counter()
        summary = build_index(corpus, index, encoder)
        print(f"{label}: {time.perf_counter() - started:.2f} s; {summary.line()}", flush=True)
    print("load", os.getloadavg())
    return 0


if __name__ == "__main__":
    sys.exit(main())
