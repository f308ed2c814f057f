import numpy as np
import pytest

from service.errors import TooLargeError, UndecodableError, UnsupportedMediaError
from service.media.video import VideoLimits, probe, transcode
from tests.conftest import clip_facts, gradient, jpeg_bytes, make_clip


def passthrough(t, rgb, _extra):
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


def test_prepare_runs_on_each_frame_in_the_decode_thread_and_reaches_process(tmp_path):
    import threading

    src = make_clip(tmp_path / "in.mp4", frames=20)
    seen = []

    def prepare(rgb):
        return threading.current_thread().name, rgb.copy()

    def process(t, rgb, extra):
        seen.append(extra[0])
        assert np.array_equal(extra[1], rgb)  # made from this very frame
        yield t, rgb

    assert transcode(src, tmp_path / "out.mp4", process, lambda: iter(()), prepare=prepare) == 20
    assert seen == ["veil-decode"] * 20


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


@pytest.mark.parametrize(
    ("codec", "container", "suffix", "name"),
    [
        ("libx265", "mp4", "mp4", "hevc"),
        ("libvpx-vp9", "webm", "webm", "vp9"),
        ("libvpx", "matroska", "mkv", "vp8"),
        ("libsvtav1", "mp4", "mp4", "av1"),
        ("mpeg4", "avi", "avi", "mpeg4"),
    ],
)
def test_every_allowed_input_codec_transcodes_with_frames_and_audio_kept(
    tmp_path, codec, container, suffix, name
):
    src = make_clip(tmp_path / f"in.{suffix}", frames=20, container=container, codec=codec,
                    audio=container not in {"avi", "webm"})
    info = probe(src, VideoLimits())
    assert info.codec == name
    dst = tmp_path / f"out.{suffix}"
    assert transcode(src, dst, passthrough, lambda: iter(())) == 20
    a, b = clip_facts(src), clip_facts(dst)
    assert b["frames"] == a["frames"] == 20
    if container == "avi":
        # AVI stores no timestamps; FFmpeg reads H.264-in-AVI one frame late, so compare the intervals.
        assert np.allclose(np.diff(a["times"]), np.diff(b["times"]), atol=1e-3)
    else:
        assert np.allclose(a["times"], b["times"], atol=1e-3)
    assert b["audio"] == a["audio"]
    assert not _tags(dst) & {"location", "creation_time", "LOCATION", "CREATION_TIME"}, _tags(dst)


def _tags(path) -> set[str]:
    """Every metadata key of a file: the container's and each stream's, except the muxer's own."""
    import av

    with av.open(str(path)) as c:
        keys = set(c.metadata) | {k for s in c.streams for k in s.metadata}
    return keys - {"encoder", "ENCODER", "major_brand", "minor_version", "compatible_brands",
                   "handler_name", "vendor_id", "language", "DURATION", "duration"}


@pytest.mark.parametrize("out_codec", ["vp9", "av1"])
def test_optional_output_codecs(tmp_path, out_codec):
    src = make_clip(tmp_path / "in.mkv", frames=12, container="matroska")
    dst = tmp_path / "out.mkv"
    transcode(src, dst, passthrough, lambda: iter(()), codec=out_codec)
    assert probe(dst, VideoLimits()).codec == out_codec
    assert clip_facts(dst)["frames"] == 12
    assert "location" in {k.lower() for k in _tags(src)}  # the source carried GPS ...
    assert _tags(dst) == set(), _tags(dst)  # ... the output carries no tag of the input


def test_variable_frame_rate_timestamps_survive(tmp_path):
    times = [0, 33, 50, 120, 133, 300, 310, 400, 533, 600, 1000, 1040]
    src = make_clip(tmp_path / "vfr.mkv", frames=len(times), container="matroska", times_ms=times)
    dst = tmp_path / "out.mkv"
    transcode(src, dst, passthrough, lambda: iter(()))
    a, b = clip_facts(src), clip_facts(dst)
    assert np.allclose(np.diff(a["times"]), np.diff(times) / 1000, atol=1e-3)
    assert np.allclose(a["times"], b["times"], atol=1e-3)
    assert b["audio"] == a["audio"]


def test_a_failing_model_aborts_the_transcode_and_stops_its_threads(tmp_path):
    import threading

    src = make_clip(tmp_path / "in.mp4", frames=60)
    before = threading.active_count()

    def broken(t, rgb, _extra):
        if t == 7:
            raise RuntimeError("model failed")
        yield t, rgb

    with pytest.raises(RuntimeError, match="model failed"):
        transcode(src, tmp_path / "out.mp4", broken, lambda: iter(()))
    assert threading.active_count() == before
