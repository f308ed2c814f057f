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
