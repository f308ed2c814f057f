"""Deterministic benchmark media: a street-like frame with real CC0 faces and drawn plates."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

FACES_DIR = Path(__file__).resolve().parents[2] / "tests" / "fixtures"


def synthetic_frame(width: int = 1920, height: int = 1080, seed: int = 0) -> np.ndarray:
    """RGB frame: textured background, the CC0 face photos pasted at several sizes, 4 plates."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    frame = np.dstack([(x * 200 // width), (y * 180 // height), ((x + y) * 90 // (width + height))])
    frame = (frame + rng.integers(0, 30, (height, width, 1))).clip(0, 255).astype(np.uint8)
    photos = sorted(FACES_DIR.glob("street_faces_*.jpg"))
    for i, path in enumerate(photos):
        img = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        scale = (0.9, 1.4, 0.6)[i % 3] * width / 1920
        img = cv2.resize(img, None, fx=scale, fy=scale)
        h, w = img.shape[:2]
        x0, y0 = int(width * (0.05 + 0.32 * i)), int(height * 0.05)
        h, w = min(h, height - y0), min(w, width - x0)
        frame[y0:y0 + h, x0:x0 + w] = img[:h, :w]
    for j in range(4):
        pw = int((60, 110, 160, 220)[j] * width / 1920)
        ph = pw * 2 // 9
        cx, cy = int(width * (0.15 + 0.22 * j)), int(height * 0.78)
        car = (int(cx - pw * 1.1), int(cy - pw * 0.7), int(cx + pw * 1.1), int(cy + pw * 0.35))
        cv2.rectangle(frame, car[:2], car[2:], tuple(int(c) for c in rng.integers(20, 200, 3)), -1)
        cv2.rectangle(frame, (cx - pw // 2, cy - ph // 2), (cx + pw // 2, cy + ph // 2), (235, 235, 235), -1)
        text = f"{rng.integers(1000, 9999)} KLM"
        (tw, _), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 1.0, 2)
        font = 0.85 * pw / tw
        cv2.putText(frame, text, (cx - int(pw * 0.43), cy + ph // 4), cv2.FONT_HERSHEY_SIMPLEX, font,
                    (15, 15, 15), max(1, ph // 10))
    return frame


def synthetic_jpeg(width: int = 1920, height: int = 1080, seed: int = 0) -> bytes:
    rgb = synthetic_frame(width, height, seed)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    return buf.tobytes()


def synthetic_clip(path: Path, width: int = 1280, height: int = 720, seconds: float = 10.0, fps: int = 30,
                   seed: int = 0) -> Path:
    """H.264 + AAC clip of the synthetic frame under a slow pan (faces and plates move), fixed seed."""
    import fractions

    import av

    base = synthetic_frame(int(width * 1.2), int(height * 1.2), seed)
    frames = int(seconds * fps)
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = width, height, "yuv420p"
        v.options = {"preset": "veryfast", "crf": "23"}
        a = out.add_stream("aac", rate=48000)
        a.layout = "stereo"
        for i in range(frames):
            dx = int((base.shape[1] - width) * (0.5 + 0.5 * np.sin(i / (fps * 2.0))))
            f = av.VideoFrame.from_ndarray(np.ascontiguousarray(base[:height, dx:dx + width]), format="rgb24")
            f.pts, f.time_base = i, fractions.Fraction(1, fps)
            for p in v.encode(f):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
        rng = np.random.default_rng(seed)
        mux_audio(out, a, frames * 48000 // fps, lambda _t: rng.normal(0, 0.05, 1024))
    return path


def mux_audio(out, stream, samples: int, signal) -> None:
    """Encode ``samples`` of 48 kHz stereo audio, 1024 at a time from ``signal(t)``, and flush."""
    import av

    t = 0
    while t < samples:
        s = np.asarray(signal(t), np.float32)
        frame = av.AudioFrame.from_ndarray(np.stack([s, s]), format="fltp", layout="stereo")
        frame.sample_rate, frame.pts = 48000, t
        t += len(s)
        for p in stream.encode(frame):
            out.mux(p)
    for p in stream.encode():
        out.mux(p)
