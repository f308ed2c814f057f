import numpy as np
import pytest

from service.datasets import Record
from service.evaluation.video_leaks import MOTIONS, ClipSpec, Tally, render_clip, suite
from tests.conftest import gradient


def test_clip_ground_truth_moves_with_the_camera(tmp_path):
    quad = np.float32([[100, 100], [160, 100], [160, 120], [100, 120]])
    rec = Record(image=tmp_path / "x.png", width=320, height=240, plates=[quad])
    rgb = gradient(240, 320)
    rgb[100:120, 100:160] = 255
    for motion in MOTIONS:
        for frame, masks in render_clip(rgb, rec, "plates", ClipSpec(motion, frames=8, size=(320, 240))):
            assert frame.shape == (240, 320, 3) and len(masks) == 1
            m = masks[0]
            if m.sum() > 50 and motion not in ("blur", "occlude"):
                assert frame[m].mean() > 200  # the white plate is exactly under its transformed mask


def test_walking_objects_move_on_their_own_and_their_masks_with_them(tmp_path):
    """Still camera, two plates walking: each one's pixels stay under its mask as it moves, masks never
    overlap, and the place a plate left is painted over."""
    quads = [np.float32([[60, 60], [120, 60], [120, 80], [60, 80]]),
             np.float32([[180, 150], [240, 150], [240, 170], [180, 170]])]
    rec = Record(image=tmp_path / "x.png", width=320, height=240, plates=quads)
    rgb = np.full((240, 320, 3), 60, np.uint8)
    rgb[60:80, 60:120] = (255, 0, 0)
    rgb[150:170, 180:240] = (0, 0, 255)
    frames = list(render_clip(rgb, rec, "plates", ClipSpec("walk", frames=24, size=(320, 240), seed=1)))
    first, last = frames[0][1], frames[-1][1]
    assert any((a ^ b).any() for a, b in zip(first, last, strict=True))  # they moved
    for frame, masks in frames:
        assert not (masks[0] & masks[1]).any()
        for m, colour in zip(masks, ((255, 0, 0), (0, 0, 255)), strict=True):
            if m.sum() > 50:
                assert np.abs(frame[m].astype(int) - colour).mean() < 30
    left = frames[0][1][0] & ~frames[-1][1][0]  # where the red plate was and no longer is
    assert left.sum() > 100 and not frames[-1][1][1][left].any()
    assert np.abs(frames[-1][0][left].astype(int) - (255, 0, 0)).mean() > 100  # painted over


def test_a_suite_takes_stills_that_show_the_class_and_skips_for_a_held_out_one(tmp_path):
    quad = np.float32([[10, 10], [50, 10], [50, 20], [10, 20]])
    plates = [Record(tmp_path / f"p{i}.png", 320, 240, plates=[quad] if i != 1 else []) for i in range(6)]
    faces = [Record(tmp_path / f"f{i}.png", 320, 240, faces=[[5, 5, 30, 30]]) for i in range(4)]
    first = suite({"plates": plates, "faces": faces}, clips=2, motions=("pan", "zoom", "shake"))
    assert [(r.image.name, cls, s.motion, s.seed) for r, cls, s in first] == [
        ("p0.png", "plates", "pan", 0), ("p2.png", "plates", "zoom", 1),
        ("f0.png", "faces", "pan", 0), ("f1.png", "faces", "zoom", 1)]
    held_out = suite({"plates": plates, "faces": faces}, clips=2, motions=("pan", "zoom", "shake"), skip=2)
    assert [(r.image.name, s.motion, s.seed) for r, _, s in held_out] == [
        ("p3.png", "shake", 2), ("p4.png", "pan", 3), ("f2.png", "shake", 2), ("f3.png", "pan", 3)]
    assert not {r.image for r, _, _ in first} & {r.image for r, _, _ in held_out}


@pytest.mark.parametrize(("args", "says"), [
    (["--skip", "-1"], "1 or more"), (["--clips", "0"], "1 or more"), (["--edge-hold", "0"], "1 or more"),
    (["--classes", "cars"], "plates, faces or both"), (["--classes", ""], "plates, faces or both")])
def test_evaluate_video_refuses_meaningless_settings_before_loading_anything(args, says, tmp_path):
    from service.cli import main

    with pytest.raises(SystemExit, match=says):
        main(["evaluate-video", "--data", str(tmp_path), *args])


def test_a_tally_counts_an_object_frame_as_leaking_under_0_8_coverage_per_class():
    a, b = np.zeros((40, 40), bool), np.zeros((40, 40), bool)
    a[0:10, 0:10] = True  # 100 px
    b[20:30, 20:30] = True
    final = np.zeros((40, 40), bool)
    final[0:10, 0:8] = True  # a: 0.8 covered -> not a leak
    final[20:30, 20:27] = True  # b: 0.7 -> a leak
    tally = Tally()
    tally.add("faces", final, [a, b])
    tally.add("plates", np.zeros((40, 40), bool), [a, np.zeros((40, 40), bool)])  # an empty mask: not visible
    out = tally.result()
    assert (out["object_frames"], out["leak_rate"], out["frames_with_leak"]) == (3, round(2 / 3, 5), 1.0)
    assert out["by_class"]["faces"]["leak_rate"] == 0.5 and out["by_class"]["plates"]["leak_rate"] == 1.0


def test_a_tally_measures_the_background_changed_per_frame_away_from_every_object():
    """Background: pixels farther than half an object's size from it (its box doubled), minus pixels
    to ignore; per frame, then mean and worst. Leaks are also split by object size."""
    obj = np.zeros((100, 100), bool)
    obj[40:60, 40:60] = True  # 20 px: its doubled box is 30..70
    near = np.zeros((100, 100), bool)
    near[35:65, 35:65] = True  # all within the margin (10 px around it): no background changed
    far = near.copy()
    far[:10] = True  # 1000 background pixels
    ignore = np.zeros((100, 100), bool)
    ignore[:5] = True  # half of them are to be ignored
    tally = Tally()
    tally.add_frame(near, {"faces": [obj]})
    tally.add_frame(far, {"faces": [obj], "plates": []}, ignore)
    out = tally.result()
    # 500 of the ~7 990 pixels that are neither object margin (~1 510) nor ignored
    assert 0.060 < out["background_changed_worst"] < 0.065
    assert out["background_changed"] == round(out["background_changed_worst"] / 2, 5)
    assert out["leak_rate"] == 0.0 and out["leak_by_size"] == {"<24": {"object_frames": 2, "leak_rate": 0.0}}
    assert out["by_class"]["plates"]["object_frames"] == 0
    empty = Tally()
    empty.add_frame(far, {"plates": []})  # a clip without objects: every masked pixel is background
    assert empty.result()["background_changed"] == round(far.sum() / far.size, 5)
