import numpy as np

from service.datasets import Record
from service.evaluation.video_leaks import MOTIONS, ClipSpec, render_clip
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
