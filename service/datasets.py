"""Reader for the annotation schema of ``../shared/data`` (``annotations.jsonl`` per folder).

Shared by training and evaluation so both see the same objects and the same hold-out splits.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Record:
    """One annotated image: faces as boxes, plates as quadrilaterals (boxes become 4 corners)."""

    image: Path
    width: int
    height: int
    faces: list[list[float]] = field(default_factory=list)
    plates: list[np.ndarray] = field(default_factory=list)
    face_mask: Path | None = None
    split: str = ""


def _quad(plate: list) -> np.ndarray:
    if isinstance(plate[0], list | tuple):
        return np.asarray(plate, dtype=np.float32).reshape(4, 2)
    x1, y1, x2, y2 = (float(v) for v in plate)
    return np.float32([[x1, y1], [x2, y1], [x2, y2], [x1, y2]])


def load_records(folder: Path | str) -> list[Record]:
    """Read every row of ``folder/annotations.jsonl``; paths become absolute."""
    folder = Path(folder)
    records = []
    with (folder / "annotations.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            mask = row.get("face_mask")
            records.append(
                Record(
                    image=folder / row["image"],
                    width=int(row["width"]),
                    height=int(row["height"]),
                    faces=[list(map(float, b)) for b in row.get("faces", [])],
                    plates=[_quad(p) for p in row.get("plates", [])],
                    face_mask=folder / mask if mask else None,
                    split=str(row.get("split", "")),
                )
            )
    return records


def is_holdout(record: Record, every: int) -> bool:
    """Stable hold-out by a hash of the file name: one image in ``every`` is kept for dev."""
    return zlib.crc32(record.image.name.encode()) % every == 0


DEV_HOLDOUT_EVERY = 5
"""OpenALPR and Face-Mask-Detection have no dev split: one image in five (by name hash) is held back."""


def select(records: list[Record], part: str) -> list[Record]:
    """``part`` is ``train``/``test``/``all`` for sets with splits, ``train``/``dev`` by hash otherwise."""
    if part == "all":
        return records
    has_test = any(r.split == "test" for r in records)
    if has_test:
        return [r for r in records if r.split == part]
    want_dev = part in {"dev", "test"}
    return [r for r in records if is_holdout(r, DEV_HOLDOUT_EVERY) == want_dev]
