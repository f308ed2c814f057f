from dataclasses import replace

import numpy as np
import pytest

from service.core.masks import Shape, paint
from service.core.options import Options
from service.core.strides import SEEN_PLATE_FLOOR
from service.core.tracking import Propagator
from service.core.video_pipeline import FrameBatcher, VideoOptions, redact_video
from service.errors import UndecodableError
from service.geometry import Detection
from service.media.video import VideoLimits
from tests.conftest import clip_facts, make_clip


def frames_of(path):
    import av

    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


@pytest.mark.parametrize(("stride", "batch"), [(1, 1), (3, 1), (3, 4)])
def test_region_redacted_in_every_frame_audio_and_timing_kept(tmp_path, tiny_models, stride, batch):
    src = make_clip(tmp_path / "in.mp4", frames=40)
    dst = tmp_path / "out.mp4"
    opts = Options(classes=("faces",), mode="fill", colour=(255, 0, 255),
                   regions=(Shape.parse([20, 20, 80, 70]),))
    models = replace(tiny_models, frame_batch=batch)
    redact_video(models, src, dst, opts, VideoOptions(stride=stride), VideoLimits())
    a, b = clip_facts(src), clip_facts(dst)
    assert b["frames"] == 40 and b["audio"] == a["audio"]
    assert np.allclose(a["times"], b["times"], atol=1e-3)
    for f in frames_of(dst):
        patch = f[28:62, 28:72].astype(int)
        assert np.abs(patch - (255, 0, 255)).mean() < 12  # magenta, up to H.264 loss


def test_a_timed_region_holds_for_its_time_range_only(tmp_path, tiny_models):
    """Frames 0.5–1.0 s of a 30 fps clip get the region; an ignore area from 0.8 s wins over it."""
    src = make_clip(tmp_path / "in.mp4", frames=45)
    dst = tmp_path / "out.mp4"
    opts = Options(classes=("faces",), mode="fill", colour=(255, 0, 255),
                   regions=(Shape.parse({"shape": [20, 20, 80, 70], "from": 0.5, "to": 1.0}),),
                   ignore=(Shape.parse({"shape": [20, 20, 50, 70], "from": 0.8}),))
    redact_video(tiny_models, src, dst, opts, VideoOptions(stride=3), VideoLimits())

    def magenta(patch):
        return np.abs(patch.astype(int) - (255, 0, 255)).mean() < 12

    for i, f in enumerate(frames_of(dst)):
        seconds = i / 30
        right, left = f[28:62, 56:72], f[28:62, 28:42]
        assert magenta(right) == (0.5 <= seconds <= 1.0), i
        assert magenta(left) == (0.5 <= seconds < 0.8), i


def test_failure_leaves_no_output(tmp_path, tiny_models):
    src = make_clip(tmp_path / "in.mkv", frames=120, container="matroska")
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    dst = tmp_path / "out.mkv"
    with pytest.raises(UndecodableError):
        redact_video(tiny_models, cut, dst, Options(), VideoOptions(), VideoLimits())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mkv", "in.mkv"]


def test_rotated_video_is_processed_upright_and_keeps_its_rotation(tmp_path, tiny_models):
    import av

    src = make_clip(tmp_path / "rot.mp4", frames=12, size=(160, 120), rotation=90)
    dst = tmp_path / "out.mp4"
    # display is 120 wide × 160 high; a region in display coordinates (top-left corner)
    opts = Options(classes=("faces",), mode="fill", colour=(0, 255, 0),
                   regions=(Shape.parse([0, 0, 40, 30]),), dilation_px=0, dilation_pct=0)
    info = redact_video(tiny_models, src, dst, opts, VideoOptions(), VideoLimits())
    assert info.rotation == 90 and info.display_size == (120, 160)
    with av.open(str(dst)) as c:
        frame = next(c.decode(video=0))
        assert frame.rotation == 90
        upright = np.rot90(frame.to_ndarray(format="rgb24"), 1)
    assert upright.shape[:2] == (160, 120)
    assert np.abs(upright[4:26, 4:36].astype(int) - (0, 255, 0)).mean() < 15
    assert np.abs(upright[100:150, 60:110].astype(int) - (0, 255, 0)).mean() > 60


def _run_batcher(batch: int, stride: int, frames: int = 11, edges: list[int] | None = None):
    """A box moving right 4 px a frame, 'detected' wherever the batcher asks; what comes out, in order.
    With ``edges``, the side bands are searched every other frame (the frames asked are recorded there)
    and show a face at the left edge."""
    calls: list[list[int]] = []

    def detect_frames(rgbs):
        calls.append([int(f[0, 0, 0]) for f in rgbs])
        return [([Detection("faces", 0.9, (4 * t, 10, 4 * t + 20, 30), np.ones((20, 20), bool))], [])
                for t in calls[-1]]

    def edges_at(rgb):
        edges.append(int(rgb[0, 0, 0]))
        return [Detection("faces", 0.9, (0, 40, 10, 60), np.ones((20, 10), bool))], []

    batcher = FrameBatcher(detect_frames, Propagator(120, 60, window=6, hold=2), stride, batch,
                           edges_at=edges_at if edges is not None else None, edge_every=2)
    out = []
    for t in range(frames):
        out += batcher.push(t, np.full((60, 120, 3), t, np.uint8))
    out += batcher.flush()
    return calls, [(t, sorted(d.box for d in objs)) for t, _, objs in out]


def test_batched_frames_are_detected_together_and_come_out_as_frame_by_frame():
    one_calls, one = _run_batcher(batch=1, stride=2)
    calls, batched = _run_batcher(batch=3, stride=2)
    assert one_calls == [[0], [2], [4], [6], [8], [10]]
    assert calls == [[0, 2, 4], [6, 8, 10]]  # only due frames, three to a run
    assert [t for t, _ in batched] == list(range(11))  # every frame, in order
    assert batched == one  # same objects on every frame, skipped frames included


@pytest.mark.parametrize("batch", [1, 2])
def test_side_bands_are_searched_between_detected_frames_only(batch):
    edges: list[int] = []
    calls, out = _run_batcher(batch=batch, stride=4, edges=edges)
    assert edges == [2, 6, 10] and [t for c in calls for t in c] == [0, 4, 8]
    assert [t for t, _ in out] == list(range(11))
    # the band's face is a track from its first sighting, held back and forth
    assert [t for t, boxes in out if any(b[0] == 0 and 30 <= b[1] <= 40 for b in boxes)] == list(range(11))


@pytest.fixture(scope="module")
def torch_models():
    """The CUDA path's engine (PyTorch, CenterFace via onnx2torch), on the CPU."""
    from service.inference.devices import Compute
    from service.inference.registry import load_models
    from tests.conftest import MODELS

    return load_models(MODELS, ("unet",), Compute("cpu", "torch", 1))


@pytest.mark.parametrize("engine", ["onnx", "torch"])
def test_batched_detection_matches_frame_by_frame(default_models, torch_models, engine):
    import cv2

    from service.core.pipeline import detect, detect_many
    from tests.conftest import FIXTURES

    rgb = cv2.cvtColor(cv2.imread(str(FIXTURES / "street_faces_809.jpg")), cv2.COLOR_BGR2RGB)
    frames = [np.ascontiguousarray(np.roll(rgb, 16 * k, axis=1)) for k in range(3)]
    models = default_models if engine == "onnx" else torch_models
    batched = detect_many(models, frames, Options())
    for frame, found in zip(frames, batched, strict=True):
        alone = detect(models, frame, Options())
        assert len(found) == len(alone) > 0
        for a, b in zip(sorted(alone, key=lambda d: d.box), sorted(found, key=lambda d: d.box), strict=True):
            assert a.cls == b.cls and np.abs(np.subtract(a.box, b.box)).max() <= 1


def test_batcher_moves_masks_with_the_camera(tmp_path):
    """A shaking, panning camera over a textured scene; an object fixed in the scene, 'detected' every
    4th frame: the batcher measures the picture's motion, so every frame's mask sits on the object."""
    import cv2

    from service.core.motion import CameraMotion

    rng = np.random.default_rng(3)
    scene = cv2.GaussianBlur((rng.random((400, 700, 3)) * 255).astype(np.uint8), (0, 0), 2)
    shake = np.round(rng.normal(0, 6, size=(17, 2))).astype(int)
    origin = [(40 + 6 * t + dx, 60 + dy) for t, (dx, dy) in enumerate(shake)]  # camera's top-left

    def where(t):  # the object (scene box 200..230 × 150..180) in frame t
        return 200 - origin[t][0], 150 - origin[t][1]

    def detect_frames(rgbs):
        out = []
        for rgb in rgbs:
            t = int(np.flatnonzero([np.array_equal(rgb, f) for f in frames])[0])
            x, y = where(t)
            out.append(([Detection("faces", 0.9, (x, y, x + 30, y + 30), np.ones((30, 30), bool))], []))
        return out

    frames = [scene[y:y + 240, x:x + 320].copy() for x, y in origin]
    prop = Propagator(320, 240, window=4, hold=4, min_speed=0.03)
    batcher, camera = FrameBatcher(detect_frames, prop, 4, 1), CameraMotion()
    out = []
    for t, f in enumerate(frames):
        out += batcher.push(t, f, camera.step(f))
    out += batcher.flush()
    assert [t for t, _, _ in out] == list(range(17))
    for t, _, objs in out:
        x, y = where(t)
        m = paint(objs, (240, 320))
        assert m[y:y + 30, x:x + 30].all(), t
        assert m.sum() <= (30 + 2 * 4) ** 2, t  # grown by the least speed (≤ 1 px a frame) only


def test_plate_specks_are_weak_until_found_again(monkeypatch, tiny_models):
    """A plate under ``PLATE_SPECK_PX`` or one the verifier kept only just extends a track but only starts
    a tentative one; a plate of any size that a track already holds stays covered, and a weak plate found
    in two detected frames is painted."""
    from service.core import video_pipeline
    from service.core.tracking import for_stride

    speck = Detection("plates", 0.9, (50, 50, 58, 54), np.ones((4, 8), bool))
    plate = Detection("plates", 0.9, (10, 10, 50, 22), np.ones((12, 40), bool))
    unsure = Detection("plates", 0.9, (60, 80, 100, 92), np.ones((12, 40), bool), sure=False)
    monkeypatch.setattr(video_pipeline, "detect_many",
                        lambda models, frames, *a, **k: [[speck, plate, unsure]] * len(frames))
    (strong, weak), = video_pipeline.frame_detections_many(tiny_models, [np.zeros((120, 160, 3), np.uint8)],
                                                           Options(dilation_px=0, dilation_pct=0))
    assert [d.box for d in strong] == [plate.box] and [d.box for d in weak] == [speck.box, unsure.box]
    none, = video_pipeline.frame_detections_many(tiny_models, [np.zeros((120, 160, 3), np.uint8)],
                                                 Options(dilation_px=0, dilation_pct=0), speck=0)
    assert len(none[0]) == 2 and [d.box for d in none[1]] == [unsure.box]  # kept only just: weak at any size
    doubted = replace(unsure, doubt=True)
    monkeypatch.setattr(video_pipeline, "detect_many",
                        lambda models, frames, *a, **k: [[doubted]] * len(frames))
    (strong, weak), = video_pipeline.frame_detections_many(tiny_models, [np.zeros((120, 160, 3), np.uint8)],
                                                           Options())
    assert strong == [] and weak[0].doubt and weak[0].size > doubted.size  # grown, still doubted

    def masked_at(sightings):  # frames 0, 4, 8, ... detected; the speck found where ``sightings`` says
        prop = for_stride(160, 120, 4, 6, 6)
        out = {}
        for t in range(17):
            dets = [] if t % 4 else None
            found = [speck] if t % 4 == 0 and t in sightings else []
            for ft, _, objs in prop.push(t, None, dets, found):
                out[ft] = paint(objs, (120, 160))[52, 54]
        for ft, _, objs in prop.flush():
            out[ft] = paint(objs, (120, 160))[52, 54]
        return [t for t in range(17) if out[t]]

    assert masked_at({4}) == []  # one frame's speck is not a plate
    assert set(range(4, 9)) <= set(masked_at({4, 8}))  # found again: painted, back to its first sighting


@pytest.mark.parametrize("floor", [SEEN_PLATE_FLOOR, None])
def test_video_asks_for_the_plates_the_verifier_turned_down(monkeypatch, tiny_models, floor):
    from service.core import video_pipeline
    from service.core.video_pipeline import FrameLoop

    asked = []
    monkeypatch.setattr(video_pipeline, "detect_many",
                        lambda models, frames, *a, **k: asked.append(k["plate_floor"]) or [[]] * len(frames))
    loop = FrameLoop(tiny_models, Options(), VideoOptions(seen_plate_floor=floor), 160, 120)
    frame = np.zeros((120, 160, 3), np.uint8)
    list(loop.push(0, frame, None))
    assert asked == [floor]
