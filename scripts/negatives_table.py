"""Markdown table of two `veil evaluate-negatives --json` results, side by side.

Usage: python scripts/negatives_table.py BEFORE.json AFTER.json [plates|faces]
"""

import json
import sys
from pathlib import Path

from service.evaluation.negative_suite import markdown

if __name__ == "__main__":
    before, after = (json.loads(Path(p).read_text(encoding="utf-8")) for p in sys.argv[1:3])
    print(markdown(before, after, sys.argv[3] if len(sys.argv) > 3 else "plates"))
