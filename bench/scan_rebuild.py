"""No-change rebuild time of a corpus with scans, against a text-only corpus of the same number of files
measured in the same run; and a rebuild after one scan was replaced (only it is OCR'd).

The corpus is the dev set of bench/scan_devset.py (every form of 20 documents, ~160 files, ~180 scanned
pages); its OCR cache is copied in, so the first build here does not OCR what the dev set run already did.
The encoder is the tests' hash encoder: a no-change rebuild embeds nothing, and what is measured here is
reading, hashing and the cache — not the model.

    PYTHONPATH=$PWD .venv/bin/python bench/scan_rebuild.py --devset /tmp/scan-devset --out /tmp/scan-rebuild
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from index.store import OCR_CACHE_DIR, build_index
from tests.fakes import HashEncoder

FORMS = ("text", "docx", "pdf_text", "clean", "poor", "phone", "screenshot", "mixed")


def timed(corpus: Path, index: Path, runs: int = 3) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        summary = build_index(corpus, index, HashEncoder())
        out.append(time.perf_counter() - started)
        assert summary.snapshot is None and summary.ocr_pages == 0, summary.line()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devset", type=Path, default=Path("/tmp/scan-devset"))
    ap.add_argument("--out", type=Path, default=Path("/tmp/scan-rebuild"))
    args = ap.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    scans, texts = args.out / "corpus-scans", args.out / "corpus-text"
    files = 0
    for form in FORMS:
        shutil.copytree(args.devset / form, scans / form)
        files += len(list((scans / form).iterdir()))
    originals = sorted((args.devset / "text").iterdir())
    for i in range(files):
        target = texts / f"copy{i // len(originals)}" / originals[i % len(originals)].name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(originals[i % len(originals)], target)
    index_scans, index_texts = args.out / "index-scans", args.out / "index-text"
    (index_scans / OCR_CACHE_DIR).mkdir(parents=True)
    for form in FORMS:
        cache = args.devset / "ocr-cache" / form
        if cache.is_dir():
            shutil.copytree(cache, index_scans / OCR_CACHE_DIR, dirs_exist_ok=True)
    first = build_index(scans, index_scans, HashEncoder())
    build_index(texts, index_texts, HashEncoder())
    result: dict[str, object] = {
        "files": files,
        "first_build_scans": first.line(),
        "load": os.getloadavg(),
        "no_change_scans_s": [round(t, 3) for t in timed(scans, index_scans)],
        "no_change_text_s": [round(t, 3) for t in timed(texts, index_texts)],
    }
    # one scan changed (its bytes, so its hash): only it is read and OCR'd again
    victim = scans / "clean" / sorted(p.name for p in (scans / "clean").iterdir())[0]
    victim.write_bytes(victim.read_bytes() + b"\0" * 16)
    started = time.perf_counter()
    changed = build_index(scans, index_scans, HashEncoder())
    result["one_scan_changed"] = {"seconds": round(time.perf_counter() - started, 2), "line": changed.line()}
    result["load_after"] = os.getloadavg()
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
