"""The zoomed second look with the committed models: small objects found where a track expects them.

Nothing here asserts that the full-frame pass misses an object: a better model may find them all."""

import itertools

import cv2
import numpy as np
import pytest
from PIL import Image

from service.core.masks import paint
from service.core.options import Options
from service.core.pipeline import detect
from service.core.second_look import MAX_TILES, look, tile_spans
from service.datasets import load_records, select
from service.evaluation.runner import ground_truth
from service.media.images import decode
from tests.conftest import FIXTURES, fixture_faces, need_shared_data, tiny_plate_verifier

FRAME = (720, 1280)


@pytest.fixture(scope="module")
def fast_models(default_models):
    """The committed models at the fast video setting's 640 work sizes."""
    from dataclasses import replace

    return replace(default_models, face_work_size=640, plate_work_size=640)


def _pasted(rgb: np.ndarray, scale: float, at=(300, 200)) -> tuple[np.ndarray, float, tuple[int, int]]:
    """``rgb`` shrunk by ``scale`` on a grey 1280×720 frame at ``at`` (x, y)."""
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    frame = np.full((*FRAME, 3), 120, np.uint8)
    x, y = at
    frame[y:y + small.shape[0], x:x + small.shape[1]] = small
    return frame, scale, at


def _wanted(cls: str, box, margin: float = 15.0):
    x1, y1, x2, y2 = box
    return cls, (x1 - margin, y1 - margin, x2 + margin, y2 + margin), float(max(x2 - x1, y2 - y1))


def test_small_faces_are_found_where_a_track_expects_them(fast_models):
    """Faces 11–14 px wide in a 720p frame (small enough for the full-frame pass at 640 to miss): the
    second look, asked around each, masks the middle of every one."""
    name = "street_faces_809.jpg"
    rgb = np.asarray(Image.open(FIXTURES / name).convert("RGB"))
    frame, s, (ox, oy) = _pasted(rgb, 0.25)
    boxes = [(x1 * s + ox, y1 * s + oy, x2 * s + ox, y2 * s + oy) for x1, y1, x2, y2 in fixture_faces()[name]]
    opts = Options(classes=("faces",))
    found = look(fast_models, frame, opts)([_wanted("faces", b) for b in boxes], [])
    assert all(d is not None for d in found)
    mask = paint(found, FRAME)
    for x1, y1, x2, y2 in boxes:
        cx, cy = int((x1 + x2) / 2), int((y1 + y2) / 2)
        assert mask[cy - 2:cy + 3, cx - 2:cx + 3].all()


def test_nothing_is_found_on_an_empty_picture_or_where_a_sighting_is_taken(fast_models):
    opts = Options()
    empty = np.full((*FRAME, 3), 120, np.uint8)
    wanted = [_wanted("faces", (600, 300, 620, 322)), _wanted("plates", (400, 500, 440, 510))]
    assert look(fast_models, empty, opts)(wanted, []) == [None, None]
    name = "street_faces_809.jpg"
    frame, s, (ox, oy) = _pasted(np.asarray(Image.open(FIXTURES / name).convert("RGB")), 0.25)
    x1, y1, x2, y2 = fixture_faces()[name][1]
    box = (x1 * s + ox, y1 * s + oy, x2 * s + ox, y2 * s + oy)
    assert look(fast_models, frame, opts)([_wanted("faces", box, 2.0)], [tuple(map(int, box))]) == [None]


@pytest.mark.data
def test_small_plates_the_full_frame_pass_misses_are_covered(fast_models):
    """UC3M test plates shrunk to 11–32 px in a 720p frame (where the full-frame pass at 640 struggles):
    the second look covers at least 80 % of each, and never less than the full-frame pass did."""
    records = [r for r in select(load_records(need_shared_data() / "plates_uc3m_lp_320"), "test")
               if r.plates][:6]
    opts = Options(classes=("plates",))
    for r in records:
        frame, s, (ox, oy) = _pasted(decode(r.image.read_bytes(), 1 << 31).rgb, 0.3)
        full = paint(detect(fast_models, frame, opts), FRAME)
        for gt in ground_truth(r, "plates")[0]:
            small = cv2.resize(gt.astype(np.uint8), None, fx=s, fy=s, interpolation=cv2.INTER_NEAREST) > 0
            truth = np.zeros(FRAME, bool)
            truth[oy:oy + small.shape[0], ox:ox + small.shape[1]] = small
            ys, xs = np.nonzero(truth)
            found = look(fast_models, frame, opts)(
                [_wanted("plates", (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))], [])
            covered = (paint([d for d in found if d], FRAME) & truth).sum()
            assert covered >= 0.8 * truth.sum(), r.image.name
            assert covered >= 0.8 * (full & truth).sum(), r.image.name


def test_windows_tile_a_wide_search_box_with_overlap():
    """An object of size 20 may be anywhere in [0, 300]: two windows (the most per axis), grown to
    cover it all and overlapping by the object's size, so one of them holds it whole wherever it lies."""
    spans = tile_spans(0.0, 300.0, 20.0)
    assert len(spans) == MAX_TILES == 2 and spans[0][0] == 0 and spans[-1][1] == 300
    for (_, a1), (b0, _) in itertools.pairwise(spans):
        assert a1 - b0 >= 20 - 1e-9
    assert tile_spans(0.0, 60.0, 20.0) == [(0.0, 50.0), (10.0, 60.0)]  # CONTEXT × 20 px each
    assert tile_spans(0.0, 30.0, 20.0) == [(-10.0, 40.0)]  # one window of CONTEXT × 20 px
    assert tile_spans(0.0, 10.0, 8.0) == [(-19.0, 29.0)]  # the least side, 48 px (4× zoom)


@pytest.mark.data
def test_a_plate_the_second_look_finds_must_convince_the_plate_verifier(fast_models, tmp_path):
    """Every plate proposal passes the plate verifier, the look's too, and there only a sure one counts:
    a look-alike found where a track is lost would start a track of its own."""
    from dataclasses import replace

    def with_verifier(bias: float):
        verifier = tiny_plate_verifier(tmp_path / str(bias), bias, threshold=0.4)
        return replace(fast_models, plate_verifier=verifier)

    records = select(load_records(need_shared_data() / "plates_uc3m_lp_320"), "test")
    (r,) = [r for r in records if r.plates][:1]
    frame, s, (ox, oy) = _pasted(decode(r.image.read_bytes(), 1 << 31).rgb, 0.3)
    wanted = [_wanted("plates", (q[:, 0].min() * s + ox, q[:, 1].min() * s + oy,
                                 q[:, 0].max() * s + ox, q[:, 1].max() * s + oy)) for q in r.plates]
    opts = Options(classes=("plates",))
    assert all(d is not None for d in look(with_verifier(20.0), frame, opts)(wanted, []))
    assert look(with_verifier(0.0), frame, opts)(wanted, []) == [None] * len(wanted)  # 0.5: only just
    assert look(with_verifier(-20.0), frame, opts)(wanted, []) == [None] * len(wanted)
