"""Real photos at 1280×720 for `veil bench images DIR`: the first N OpenALPR `dev` photos, each scaled to
cover 1280×720 and centre-cropped (no distortion), written as JPEG (quality 90) into DIR.

Usage: python scripts/photos_720p.py ../shared/data /tmp/photos-720p [--count 24]
The photos are not the project's to commit; the folder is rebuilt from the shared data when needed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2

from service.datasets import load_records, select

SIZE = (1280, 720)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--count", type=int, default=24)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for record in select(load_records(args.data / "plates_openalpr"), "dev")[: args.count]:
        bgr = cv2.imread(str(record.image))
        h, w = bgr.shape[:2]
        scale = max(SIZE[0] / w, SIZE[1] / h)
        big = cv2.resize(bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA
                         if scale < 1 else cv2.INTER_LINEAR)
        y, x = (big.shape[0] - SIZE[1]) // 2, (big.shape[1] - SIZE[0]) // 2
        cv2.imwrite(str(args.out / f"{Path(record.image).stem}.jpg"), big[y:y + SIZE[1], x:x + SIZE[0]],
                    [cv2.IMWRITE_JPEG_QUALITY, 90])


if __name__ == "__main__":
    main()
