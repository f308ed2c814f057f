import numpy as np
import pytest

from service.errors import TooLargeError, UndecodableError, UnsupportedMediaError
from service.media.video import VideoLimits, probe, transcode
from tests.conftest import clip_facts, gradient, jpeg_bytes, make_clip


def passthrough(t, rgb):
    yield t, rgb


def test_probe_reads_the_header(tmp_path):
    info = probe(make_clip(tmp_path / "a.mp4", frames=12), VideoLimits())
    assert (info.width, info.height, info.frames, info.codec, info.audio_streams) == (160, 120, 12, "h264", 1)


def test_probe_refuses_other_files_and_oversize(tmp_path):
    img = tmp_path / "x.mp4"
    img.write_bytes(jpeg_bytes(gradient()))
    with pytest.raises(UnsupportedMediaError):
        probe(img, VideoLimits())
    clip = make_clip(tmp_path / "b.mp4", frames=10)
    with pytest.raises(TooLargeError):
        probe(clip, VideoLimits(max_pixels=100))
    with pytest.raises(TooLargeError):
        probe(clip, VideoLimits(max_frames=5))


def test_transcode_keeps_frames_timing_and_audio_bits_and_drops_metadata(tmp_path):
    src = make_clip(tmp_path / "in.mp4", frames=45)
    dst = tmp_path / "out.mp4"
    assert transcode(src, dst, passthrough, lambda: iter(())) == 45
    a, b = clip_facts(src), clip_facts(dst)
    assert b["frames"] == a["frames"] == 45
    assert np.allclose(a["times"], b["times"], atol=1e-3)
    assert b["audio"] == a["audio"] and len(a["audio"]) > 10
    assert "location" not in b["metadata"] and "creation_time" not in b["metadata"]
    assert "location" in a["metadata"]


def test_mkv_stays_mkv_and_audio_can_be_dropped(tmp_path):
    src = make_clip(tmp_path / "in.mkv", frames=10, container="matroska")
    dst = tmp_path / "out.mkv"
    transcode(src, dst, passthrough, lambda: iter(()), keep_audio=False)
    assert probe(dst, VideoLimits()).container == "matroska,webm"
    assert clip_facts(dst)["audio"] == [] and clip_facts(dst)["frames"] == 10


def test_truncated_video_fails(tmp_path):
    src = make_clip(tmp_path / "in.mkv", frames=120, container="matroska")
    data = src.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises((UndecodableError, TooLargeError, UnsupportedMediaError)):
        probe(cut, VideoLimits())
        transcode(cut, tmp_path / "o.mkv", passthrough, lambda: iter(()))
