"""Hostile and odd uploads, built in code: each case is (name, bytes, content type, expected status,
expected problem type). The outcome is the policy; tests/api/test_hostile_corpus.py runs every case."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from tests.conftest import gradient, make_clip

OK = (200, None)
UNSUPPORTED = (415, "unsupported-media-type")
UNDECODABLE = (422, "undecodable-media")
TOO_LARGE = (413, "payload-too-large")


def _save(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _rgb(h: int = 96, w: int = 128) -> Image.Image:
    return Image.fromarray(gradient(h, w))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(w: int, h: int, idat: bytes = b"") -> bytes:
    """A PNG whose header declares w×h (the pixel data, if any, is ``idat``)."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)
            + _png_chunk(b"IEND", b""))


def jpeg_declaring(w: int, h: int) -> bytes:
    """A real JPEG whose frame header (SOF0) is patched to declare w×h."""
    data = bytearray(_save(_rgb(16, 16), "JPEG"))
    at = data.index(b"\xff\xc0") + 5
    data[at:at + 4] = struct.pack(">HH", h, w)
    return bytes(data)


def _exif_jpeg(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return _save(_rgb(), "JPEG", exif=exif.tobytes())


def _animated(fmt: str) -> bytes:
    frames = [Image.fromarray(np.full((32, 32, 3), c, np.uint8)) for c in (0, 120, 240)]
    return _save(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


def image_cases() -> list[tuple[str, bytes, str, tuple[int, str | None]]]:
    jpeg, png, webp = _save(_rgb(), "JPEG"), _save(_rgb(), "PNG"), _save(_rgb(), "WEBP")
    cases = [
        ("zero bytes", b"", "image/jpeg", UNDECODABLE),
        ("one byte", b"\xff", "image/jpeg", UNSUPPORTED),
        ("jpeg markers only", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg", UNDECODABLE),
    ]
    for name, data, kind in (("jpeg", jpeg, "image/jpeg"), ("png", png, "image/png"),
                             ("webp", webp, "image/webp")):
        for share in (0.1, 0.5, 0.9):
            cut = data[: int(len(data) * share)]
            cases.append((f"{name} truncated at {share:.0%}", cut, kind, UNDECODABLE))
    cases += [
        ("jpeg sent as image/png", jpeg, "image/png", OK),
        ("jpeg sent as octet-stream", jpeg, "application/octet-stream", OK),
        ("jpeg sent as text/plain", jpeg, "text/plain", UNSUPPORTED),
        ("jpeg then a zip (polyglot)", jpeg + b"PK\x03\x04" + b"secret-payload" * 20, "image/jpeg", OK),
        ("gif/javascript polyglot", b"GIF89a/*" + b"\0" * 32 + b"*/=alert(1)", "image/gif", UNSUPPORTED),
        ("png declaring 100000x100000", png_declaring(100_000, 100_000), "image/png", TOO_LARGE),
        ("png declaring 2^31 wide", png_declaring(2**31 - 1, 1), "image/png", TOO_LARGE),
        ("jpeg declaring 65000x65000", jpeg_declaring(65_000, 65_000), "image/jpeg", TOO_LARGE),
        ("png deep zlib bomb", png_declaring(4000, 4000, zlib.compress(b"\0" * (4000 * 12001), 9)),
         "image/png", TOO_LARGE),
        ("png 1x20000 (extreme aspect)", _save(Image.new("RGB", (20000, 1), (90, 90, 90)), "PNG"),
         "image/png", OK),
        ("png 20000x1 (extreme aspect)", _save(Image.new("RGB", (1, 20000), (90, 90, 90)), "PNG"),
         "image/png", OK),
        ("png 1x1", _save(Image.new("RGB", (1, 1)), "PNG"), "image/png", OK),
        ("png 16-bit grey", _save(Image.fromarray((np.arange(4096).reshape(64, 64) * 16).astype(np.uint16)),
                                  "PNG"), "image/png", OK),
        ("jpeg cmyk", _save(_rgb().convert("CMYK"), "JPEG"), "image/jpeg", OK),
        ("png palette", _save(_rgb().convert("P"), "PNG"), "image/png", OK),
        ("png rgba", _save(_rgb().convert("RGBA"), "PNG"), "image/png", OK),
        ("png grey+alpha", _save(_rgb().convert("LA"), "PNG"), "image/png", OK),
        ("jpeg grey", _save(_rgb().convert("L"), "JPEG"), "image/jpeg", OK),
        ("webp lossless rgba", _save(_rgb().convert("RGBA"), "WEBP", lossless=True), "image/webp", OK),
        ("gif animated", _animated("GIF"), "image/gif", UNSUPPORTED),
        ("webp animated (first frame)", _animated("WEBP"), "image/webp", OK),
        ("apng animated (first frame)", _animated("PNG"), "image/png", OK),
        ("jpeg corrupt exif", jpeg[:2] + b"\xff\xe1\x00\x20Exif\x00\x00" + b"\xde\xad" * 13 + jpeg[2:],
         "image/jpeg", OK),
        ("jpeg 1 MB icc profile", _save(_rgb(), "JPEG", icc_profile=b"\0" * 1_000_000), "image/jpeg", OK),
        ("png giant text chunk",
         png[:33] + _png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + b"x" * 500_000) + png[33:],
         "image/png", OK),
        ("tiff", _save(_rgb(), "TIFF"), "image/tiff", UNSUPPORTED),
        ("bmp", _save(_rgb(), "BMP"), "image/bmp", UNSUPPORTED),
        ("heic-like ftyp", b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64, "image/heic", UNSUPPORTED),
        ("svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>x</script></svg>", "image/svg+xml",
         UNSUPPORTED),
        ("pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "application/pdf",
         UNSUPPORTED),
        ("html", b"<!doctype html><html><body>hi</body></html>", "text/html", UNSUPPORTED),
    ]
    cases += [(f"jpeg exif orientation {o}", _exif_jpeg(o), "image/jpeg", OK) for o in range(1, 9)]
    return cases


def video_cases(work: Path) -> list[tuple[str, bytes, str, tuple[int, str | None]]]:
    clip = make_clip(work / "ok.mp4", frames=8).read_bytes()
    cases = [
        # an MP4 cut before its index (moov, written last) is not recognisable as a video at all
        ("mp4 truncated at 50%", clip[: len(clip) // 2], "video/mp4", UNSUPPORTED),
        ("mp4 header only", clip[:64], "video/mp4", UNSUPPORTED),
        ("mkv truncated at 60%", _cut(make_clip(work / "cut.mkv", frames=8, container="matroska"), 0.6),
         "video/x-matroska", UNDECODABLE),
        ("hls playlist", b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n",
         "application/vnd.apple.mpegurl", UNSUPPORTED),
        ("hls playlist sent as video/mp4", b"#EXTM3U\n#EXTINF:10,\nhttp://127.0.0.1/x.ts\n", "video/mp4",
         UNSUPPORTED),
        ("mkv of one frame", make_clip(work / "one.mkv", frames=1, container="matroska").read_bytes(),
         "video/x-matroska", OK),
        ("mp4 audio only", _audio_only(work / "audio.mp4"), "video/mp4", UNDECODABLE),
        ("mp4 at 1000 fps", make_clip(work / "fast.mp4", frames=8, rate=1000).read_bytes(), "video/mp4", OK),
    ]
    return cases


def _cut(path: Path, share: float) -> bytes:
    data = path.read_bytes()
    return data[: int(len(data) * share)]


def _audio_only(path: Path) -> bytes:
    import fractions

    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=16000)
        stream.layout = "mono"
        for i in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.rate = 16000
            frame.pts = i * 1024
            frame.time_base = fractions.Fraction(1, 16000)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path.read_bytes()
