"""Records tiled into large photos: pixels and annotations move together."""

from pathlib import Path

import numpy as np
import pytest

from service.datasets import Record
from service.evaluation.mosaic import GREY, mosaics


def _record(k: int, w: int, h: int) -> Record:
    return Record(Path(f"r{k}.jpg"), w, h, faces=[[1.0, 2.0, 5.0, 7.0]],
                  plates=[np.float32([[0, 0], [4, 0], [4, 2], [0, 2]])])


def _read(r: Record) -> np.ndarray:
    return np.full((r.height, r.width, 3), int(r.image.stem[1:]) * 10 + 10, np.uint8)


def test_records_are_tiled_with_their_boxes_moved():
    records = [_record(0, 40, 30), _record(1, 20, 30), _record(2, 40, 20), _record(3, 40, 30),
               _record(4, 10, 10)]
    (big, rec), (rest, last) = list(mosaics(records, 2, _read))
    assert big.shape == (60, 80, 3) and (rec.width, rec.height) == (80, 60)
    # the second image (20 px wide) is centred in its 40-px cell: its box moves by (40 + 10, 0)
    assert rec.faces[1] == [51.0, 2.0, 55.0, 7.0]
    assert (big[2:7, 51:55] == 20).all() and (big[:30, 40:50] == GREY).all()
    assert rec.plates[3].tolist() == [[40, 30], [44, 30], [44, 32], [40, 32]]
    assert len(rec.faces) == len(rec.plates) == 4
    assert rest.shape == (10, 10, 3) and last.faces == [[1.0, 2.0, 5.0, 7.0]]


def test_mask_files_are_refused():
    r = Record(Path("r0.jpg"), 4, 4, faces=[[0.0, 0.0, 2.0, 2.0]], face_mask=Path("m.png"))
    with pytest.raises(ValueError):
        next(mosaics([r], 2, _read))
