"""Which `/subscribe <unit>` phrasings select each owner of the gold tasks (../shared/eval/tasks.jsonl), by
bot.units.follows: the table docs/TASKS.md shows.

The phrasings are fixed below, written the way staff type a unit (full names, abbreviations, without
diacritics, a named district committee); they were not tuned on the eval owners. Prints a Markdown table
(one row per distinct owner string, with its number of tasks) and a summary; `--write` replaces the table
between the markers in docs/TASKS.md.

    python bench/owner_units.py [--gold FILE] [--write]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.units import follows  # noqa: E402

DEFAULT_GOLD = ROOT.parent / "shared" / "eval" / "tasks.jsonl"
DOC = ROOT / "docs" / "TASKS.md"
BEGIN, END = "<!-- owner-table:begin -->", "<!-- owner-table:end -->"

PHRASINGS = (
    "Sở Nội vụ",
    "so noi vu",
    "SNV",
    "Sở Tài chính",
    "Sở Y tế",
    "Sở Tư pháp",
    "Sở Thông tin và Truyền thông",
    "Công an tỉnh",
    "UBND tỉnh",
    "Văn phòng UBND tỉnh",
    "Ban Tổ chức Tỉnh ủy",
    "BTC Tỉnh ủy",
    "ban to chuc",
    "Ban Tuyên giáo Tỉnh ủy",
    "Văn phòng Tỉnh ủy",
    "huyện ủy",
    "Huyện ủy Hải Lăng",
    "huyen uy trieu phong",
    "thành ủy",
    "thị ủy",
    "Ban Tổ chức Huyện ủy Hải Lăng",
    "UBND huyện Ba Tri",
    "đảng ủy",
    "Đảng ủy xã Nghĩa Kỳ",
    "cấp ủy",
    "MTTQ tỉnh",
)


def owners(gold: Path) -> Counter[str]:
    out: Counter[str] = Counter()
    for line in gold.read_text(encoding="utf-8").splitlines():
        if line.strip():
            owner = json.loads(line).get("owner")
            out[owner or ""] += 1
    return out


def table(counts: Counter[str]) -> tuple[str, str]:
    rows = ["| owner in the document | tasks | selected by `/subscribe …` |", "|---|---:|---|"]
    selected_tasks = selected_owners = 0
    named = {o: n for o, n in counts.items() if o}
    for owner, n in sorted(named.items(), key=lambda kv: (-kv[1], kv[0].lower())):
        hits = [p for p in PHRASINGS if follows(p, owner)]
        if hits:
            selected_owners += 1
            selected_tasks += n
        cell = ", ".join(f"`{p}`" for p in hits) or "— (only `/subscribe` without a unit)"
        rows.append(f"| {owner.replace('|', '/')} | {n} | {cell} |")
    per_phrase = [(p, sum(n for o, n in named.items() if follows(p, o))) for p in PHRASINGS]
    summary = (
        f"{len(named)} distinct owner strings on {sum(named.values())} gold tasks ({counts.get('', 0)} more "
        f"tasks have no owner); {selected_owners} owner strings ({selected_tasks} tasks) are selected by at "
        f"least one of the {len(PHRASINGS)} phrasings.\n\nTasks selected per phrasing: "
        + ", ".join(f"`{p}` {n}" for p, n in per_phrase)
        + "."
    )
    return "\n".join(rows), summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("--write", action="store_true", help=f"write the table into {DOC.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    rows, summary = table(owners(args.gold))
    block = f"{BEGIN}\n{rows}\n\n{summary}\n{END}"
    print(block)
    if args.write:
        text = DOC.read_text(encoding="utf-8")
        pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
        if not pattern.search(text):
            raise SystemExit(f"{DOC}: markers {BEGIN} … {END} not found")
        DOC.write_text(pattern.sub(lambda _: block, text), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
