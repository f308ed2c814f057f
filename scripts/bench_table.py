"""Markdown tables from `veil bench ... --json` files (images and/or video), for docs/performance.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def image_rows(result: dict) -> list[str]:
    h = result["header"]
    cols = ["device", "engine", "backend", "input", "p50 ms", "p95 ms", "images/s", "ceiling p50 ms",
            "peak RSS MB", "peak GPU MB"]
    lines = ["| " + " | ".join(cols) + " |", "|---" * len(cols) + "|"]
    for engine, blocks in result["engines"].items():
        for block in blocks:
            for r in block["rows"]:
                e2e = r["end_to_end"]
                cells = [h["gpu"] or h["device"], engine, r["backend"], r["size"],
                         e2e["p50_ms"], e2e["p95_ms"],
                         r["throughput_per_s"], r["ceiling_decode_encode"]["p50_ms"], block["peak_rss_mb"],
                         block["peak_gpu_mb"] or "–"]
                lines.append("| " + " | ".join(map(str, cells)) + " |")
    return lines


def video_rows(result: dict) -> list[str]:
    h, v = result["header"], result["video"]
    where = h["gpu"] or h["machine"]
    lines = [f"{v['input']} {v['size']}, {v['frames']} frames, {where}, engine {h['engine']}, "
             f"peak RSS {v['peak_rss_mb']} MB, peak GPU {v['peak_gpu_mb'] or '–'} MB", "",
             "| run | fps | × ceiling |", "|---|---|---|"]
    lines += [f"| {r['what']} | {r['fps']} | {r.get('vs_ceiling', 1)} |" for r in v["rows"]]
    return lines


def main(paths: list[str]) -> None:
    for path in paths:
        result = json.loads(Path(path).read_text(encoding="utf-8"))
        print("\n".join(image_rows(result) if "engines" in result else video_rows(result)), end="\n\n")


if __name__ == "__main__":
    main(sys.argv[1:])
