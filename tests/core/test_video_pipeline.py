import numpy as np
import pytest

from service.core.masks import Shape
from service.core.options import Options
from service.core.video_pipeline import VideoOptions, redact_video
from service.errors import UndecodableError
from service.media.video import VideoLimits
from tests.conftest import clip_facts, make_clip


def frames_of(path):
    import av

    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


@pytest.mark.parametrize("stride", [1, 3])
def test_region_redacted_in_every_frame_audio_and_timing_kept(tmp_path, tiny_models, stride):
    src = make_clip(tmp_path / "in.mp4", frames=40)
    dst = tmp_path / "out.mp4"
    opts = Options(classes=("faces",), mode="fill", colour=(255, 0, 255),
                   regions=(Shape.parse([20, 20, 80, 70]),))
    redact_video(tiny_models, src, dst, opts, VideoOptions(stride=stride), VideoLimits())
    a, b = clip_facts(src), clip_facts(dst)
    assert b["frames"] == 40 and b["audio"] == a["audio"]
    assert np.allclose(a["times"], b["times"], atol=1e-3)
    for f in frames_of(dst):
        patch = f[28:62, 28:72].astype(int)
        assert np.abs(patch - (255, 0, 255)).mean() < 12  # magenta, up to H.264 loss


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
