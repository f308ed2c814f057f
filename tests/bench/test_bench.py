from service.bench.images import STAGES, bench_images
from service.bench.load import LoadResult
from service.bench.synthetic import synthetic_clip, synthetic_jpeg
from service.bench.video import bench_video
from service.core.options import Options
from service.core.profiles import PROFILES
from service.media.video import VideoLimits, probe


def test_image_bench_reports_every_stage_and_the_ceiling(tiny_models):
    inputs = [("s.jpg", synthetic_jpeg(320, 180))]
    out = bench_images(tiny_models, inputs, Options(), runs=2, max_pixels=1 << 24)
    row = out["rows"][0]
    assert row["size"] == "320x180" and set(row["stages"]) == set(STAGES)
    assert row["end_to_end"]["p50_ms"] >= row["ceiling_decode_encode"]["p50_ms"] > 0
    assert out["peak_rss_mb"] > 0


def test_a_folder_of_photos_gets_one_latency_over_all_of_them(tiny_models):
    inputs = [("a.jpg", synthetic_jpeg(320, 180)), ("b.jpg", synthetic_jpeg(160, 120))]
    out = bench_images(tiny_models, inputs, Options(), runs=2, max_pixels=1 << 24)
    pooled = out["pooled"]
    assert pooled["inputs"] == 2 and set(pooled["stages"]) == set(STAGES)
    slowest = max(r["end_to_end"]["p95_ms"] for r in out["rows"])
    assert 0 < pooled["end_to_end"]["p50_ms"] <= slowest


def test_synthetic_media_is_deterministic(tmp_path):
    assert synthetic_jpeg(320, 180) == synthetic_jpeg(320, 180)
    clip = synthetic_clip(tmp_path / "c.mp4", 320, 180, seconds=1.0)
    info = probe(clip, VideoLimits())
    assert (info.width, info.height, info.frames, info.audio_streams) == (320, 180, 30, 1)


def test_video_bench_compares_with_the_ceiling(tiny_models, tmp_path):
    clip = synthetic_clip(tmp_path / "c.mp4", 320, 180, seconds=1.0)
    fast = PROFILES["fast"]
    chosen = {"fast": fast.video_options(stride=2),
              "off": fast.video_options(stride=10, small_face_work_size=0)}
    out = bench_video(tiny_models, clip, "unet", chosen, deface=False)
    assert out["frames"] == 30 and out["rows"][0]["what"].startswith("ceiling")
    assert out["rows"][1]["what"] == "veil unet fast (stride 2)"
    assert out["rows"][2]["what"] == "veil unet off (stride 10, no finer face pass)"
    assert out["rows"][1]["vs_ceiling"] > 0
    assert 0 < out["rows"][1].get("peak_rss_mb", out["peak_rss_mb"]) <= out["peak_rss_mb"]
    stages = out["rows"][1]["stages_ms_per_frame"]
    always = {"decode", "prepare", "detect", "segment", "track", "redact", "encode"}
    assert always <= set(stages) <= always | {"look"}  # the second look runs only for lost tracks
    assert all(v > 0 for v in stages.values())


def test_throughput_plot_is_a_png_with_one_line_per_series(tmp_path):
    import cv2

    from service.bench.plot import throughput_plot

    path = throughput_plot({"onnx unet": [(0.9, 5.0), (2.1, 3.0)], "torch unet": [(0.9, 2.0), (2.1, 1.0)]},
                           tmp_path / "t.png", "test")
    img = cv2.imread(str(path))
    assert img.shape == (560, 900, 3)
    colours = {tuple(int(c) for c in px) for px in img.reshape(-1, 3)[::7]}
    assert (200, 80, 30) in colours and (40, 140, 40) in colours  # both series drawn



def test_bench_header_names_the_processor():
    from pathlib import Path

    from service.bench.images import cpu_name, header
    from service.inference.devices import Compute

    name = cpu_name()
    if Path("/proc/cpuinfo").is_file():  # Linux: the model name, as runs on different hosts differ
        assert name and name != "unknown cpu"
    assert name in header(Compute("cpu", "onnx", 1))["machine"]


def test_load_memory_growth_compares_the_last_third_of_answers_with_the_middle_one():
    result = LoadResult(clients=1, requests=9)
    warm_up, middle = [(a, 500_000) for a in range(3)], [(a, 1000) for a in range(3, 6)]
    last = [(a, 1100) for a in range(6, 9)] + [(9, 1100), (9, 5000)]  # one high reading is not the median
    result.rss_readings = warm_up + middle + last
    summary = result.summary()
    assert summary["rss_growth_last_third"] == 0.1
    assert summary["rss_mib"] == {"middle third": 1, "last third": 1}
    assert LoadResult(clients=1, requests=9).summary()["rss_growth_last_third"] is None
