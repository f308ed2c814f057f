"""Markdown tables from ``veil evaluate --json`` files (for docs/accuracy.md and model cards)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

COLUMNS = ("recall@0.5", "recall@0.8", "recall@0.95", "recall@0.8[<24]", "recall@0.8[24-64]",
           "recall@0.8[>64]", "iou", "instance_iou", "dice", "fn_rate", "ap_mask", "over_redaction")


def _cell(v) -> str:
    return "–" if v is None else str(v)


def table(results: list[dict], only: str | None = None) -> str:
    """One row per (file, class); ``only`` keeps one class."""
    head = "| dataset (part) | class | method | backend | n | " + " | ".join(COLUMNS) + " | p50 ms | p95 ms |"
    rows = [head, "|" + "---|" * (len(COLUMNS) + 7)]
    for r in results:
        for cls, c in r["classes"].items():
            if only and cls != only:
                continue
            cells = " | ".join(_cell(c.get(k)) for k in COLUMNS)
            name = f"{Path(r['dataset']).name} ({r['part']})"
            rows.append(f"| {name} | {cls} | {r['method']} | {r['backend']} | {c['objects']} | {cells} | "
                        f"{r['latency_ms_p50']} | {r['latency_ms_p95']} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])]
    files = sorted(f for p in paths for f in (p.glob("*.json") if p.is_dir() else [p]))
    print(table([json.loads(f.read_text()) for f in files]))


if __name__ == "__main__":
    main()
