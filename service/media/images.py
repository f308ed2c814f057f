"""Still images in and out: sniffing by magic bytes, bounded decoding, metadata-free encoding."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from service.errors import TooLargeError, UndecodableError, UnsupportedMediaError

# Pillow format name -> (media type, extension)
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
FORMAT_BY_NAME = {"jpeg": "JPEG", "jpg": "JPEG", "png": "PNG", "webp": "WEBP"}


def sniff(data: bytes) -> str:
    """Format from magic bytes only (never from a name or a declared type)."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    raise UnsupportedMediaError()


@dataclass
class DecodedImage:
    rgb: np.ndarray  # HxWx3 uint8, EXIF orientation applied
    alpha: np.ndarray | None  # HxW uint8 when the source had transparency
    format: str


def _to_rgb(img: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    alpha = None
    if img.mode in {"I;16", "I;16B", "I;16L", "I"}:
        arr = np.asarray(img, dtype=np.float64)
        hi = arr.max() or 1.0
        img = Image.fromarray((arr * (255.0 / max(hi, 255.0))).astype(np.uint8), "L")
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in {"RGBA", "LA", "PA", "RGBa", "La"}:
        alpha = np.asarray(img.getchannel("A"), dtype=np.uint8).copy()
    if img.mode != "RGB":
        img = img.convert("RGB")
    return np.asarray(img, dtype=np.uint8).copy(), alpha


def decode(data: bytes, max_pixels: int) -> DecodedImage:
    """Decode fully or fail: allowlisted formats, a pixel cap checked before decoding, EXIF transpose."""
    fmt = sniff(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=[fmt])
            if img.width * img.height > max_pixels:
                raise TooLargeError(f"The image has more pixels than the limit of {max_pixels:,} "
                                    "(VEIL_MAX_PIXELS).")
            img.load()
            img = ImageOps.exif_transpose(img)
            rgb, alpha = _to_rgb(img)
    except (TooLargeError, UnsupportedMediaError):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooLargeError(f"The image has more pixels than the limit of {max_pixels:,} "
                            "(VEIL_MAX_PIXELS).") from exc
    except Exception as exc:  # any decoder failure, truncation included, is one public error
        raise UndecodableError() from exc
    if rgb.size == 0:
        raise UndecodableError()
    return DecodedImage(rgb=rgb, alpha=alpha, format=fmt)


def encode(rgb: np.ndarray, fmt: str, quality: int = 90, alpha: np.ndarray | None = None) -> bytes:
    """Encode from pixels only: a fresh image object carries no EXIF, XMP, ICC or thumbnail."""
    if fmt == "JPEG" or alpha is None:
        img = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
    else:
        img = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
    buf = io.BytesIO()
    options = {"JPEG": {"quality": quality, "optimize": False},
               "WEBP": {"quality": quality},
               "PNG": {"compress_level": 6}}[fmt]
    img.save(buf, format=fmt, **options)
    return buf.getvalue()


def encode_mask_png(mask: np.ndarray) -> bytes:
    """A binary mask (bool or 0..1 float) as an 8-bit 0/255 PNG."""
    arr = (np.asarray(mask) > 0.5 if mask.dtype != bool else mask).astype(np.uint8) * 255
    buf = io.BytesIO()
    Image.fromarray(arr, "L").save(buf, format="PNG")
    return buf.getvalue()
