import io
import struct

import numpy as np
import pytest
from PIL import Image

from service.errors import TooLargeError, UndecodableError, UnsupportedMediaError
from service.media.images import decode, encode, encode_mask_png, sniff
from tests.conftest import gradient, jpeg_bytes, png_bytes


def _tiff_exif(orientation: int, thumbnail: bytes) -> bytes:
    """Little-endian TIFF: IFD0 (orientation, make, GPS pointer), a GPS IFD, IFD1 with a JPEG thumbnail."""
    make = b"CameraMaker\0"
    ifd0, gps_at = 8, 8 + 2 + 3 * 12 + 4
    gps_size = 2 + 2 * 12 + 4
    ifd1 = gps_at + gps_size
    data_at = ifd1 + 2 + 2 * 12 + 4
    make_at, lat_at = data_at, data_at + len(make)
    thumb_at = lat_at + 24

    def entry(tag, typ, count, value):
        return struct.pack("<HHII", tag, typ, count, value)

    out = b"II*\0" + struct.pack("<I", ifd0)
    out += struct.pack("<H", 3) + entry(0x010F, 2, len(make), make_at)
    out += struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) + entry(0x8825, 4, 1, gps_at)
    out += struct.pack("<I", ifd1)
    out += struct.pack("<H", 2) + struct.pack("<HHI4s", 1, 2, 2, b"N\0\0\0") + entry(2, 5, 3, lat_at)
    out += struct.pack("<I", 0)
    out += struct.pack("<H", 2) + entry(0x0201, 4, 1, thumb_at) + entry(0x0202, 4, 1, len(thumbnail))
    out += struct.pack("<I", 0)
    out += make + struct.pack("<6I", 48, 1, 51, 1, 30, 1) + thumbnail
    return out


def exif_jpeg(orientation: int) -> bytes:
    """A 60×40 JPEG, red on the left half, with orientation, camera make, GPS and a thumbnail."""
    rgb = np.zeros((40, 60, 3), np.uint8)
    rgb[:, :30] = (255, 0, 0)
    thumb = jpeg_bytes(rgb[::5, ::5].copy())
    payload = b"Exif\0\0" + _tiff_exif(orientation, thumb)
    body = jpeg_bytes(rgb, quality=95)
    data = body[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + body[2:]
    exif = Image.open(io.BytesIO(data)).getexif()
    assert exif[0x0112] == orientation and exif.get_ifd(0x8825)[1] == "N"
    assert data.count(b"\xff\xd8") == 2  # the thumbnail is embedded
    return data


@pytest.mark.parametrize(("orientation", "red_side"), [(6, "top"), (8, "bottom")])
def test_exif_orientation_is_applied_before_anything_else(orientation, red_side):
    out = decode(exif_jpeg(orientation), 10_000)
    assert out.rgb.shape == (60, 40, 3)  # rotated: height and width swapped
    top, bottom = out.rgb[:20].mean(axis=(0, 1)), out.rgb[-20:].mean(axis=(0, 1))
    red, other = (top, bottom) if red_side == "top" else (bottom, top)
    assert red[0] > 200 and other[0] < 50


def test_encoded_output_has_no_metadata():
    decoded = decode(exif_jpeg(6), 10_000)
    data = encode(decoded.rgb, "JPEG", 90)
    img = Image.open(io.BytesIO(data))
    assert not img.getexif()
    assert b"CameraMaker" not in data and b"Exif" not in data and b"ICC_PROFILE" not in data
    assert data.count(b"\xff\xd8") == 1  # no embedded thumbnail survived
    assert "icc_profile" not in img.info and "exif" not in img.info


def test_formats_roundtrip_and_sniff():
    rgb = gradient()
    for fmt in ("JPEG", "PNG", "WEBP"):
        data = encode(rgb, fmt, 90)
        assert sniff(data) == fmt
        assert decode(data, 1 << 20).rgb.shape == rgb.shape


def test_grey_alpha_cmyk_and_16bit_become_rgb():
    grey = Image.fromarray(gradient()[..., 0])
    assert decode(png_bytes(grey), 1 << 20).rgb.shape == (120, 160, 3)
    rgba = Image.fromarray(np.dstack([gradient(), np.full((120, 160), 128, np.uint8)]), "RGBA")
    out = decode(png_bytes(rgba), 1 << 20)
    assert out.alpha is not None and int(out.alpha[0, 0]) == 128
    cmyk = Image.fromarray(gradient()).convert("CMYK")
    buf = io.BytesIO()
    cmyk.save(buf, format="JPEG")
    assert decode(buf.getvalue(), 1 << 20).rgb.shape == (120, 160, 3)
    wide = Image.fromarray((np.arange(120 * 160).reshape(120, 160) * 3).astype(np.uint16))
    out16 = decode(png_bytes(wide), 1 << 20)
    assert out16.rgb.dtype == np.uint8 and out16.rgb.max() > 200


def test_alpha_is_kept_on_png_output():
    rgb = gradient()
    alpha = np.full(rgb.shape[:2], 77, np.uint8)
    out = decode(encode(rgb, "PNG", alpha=alpha), 1 << 20)
    assert out.alpha is not None and np.all(out.alpha == 77)


def test_unsupported_truncated_and_too_large_are_refused():
    with pytest.raises(UnsupportedMediaError):
        decode(b"GIF89a" + b"\0" * 100, 1 << 20)
    with pytest.raises(UnsupportedMediaError):
        decode(b"", 1 << 20)
    data = jpeg_bytes(gradient(400, 400))
    with pytest.raises(UndecodableError):
        decode(data[: len(data) // 2], 1 << 20)
    with pytest.raises(UndecodableError):
        decode(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, 1 << 20)
    with pytest.raises(TooLargeError):
        decode(data, 1000)


def test_mask_png_is_binary():
    mask = np.zeros((10, 10), bool)
    mask[2:5, 2:5] = True
    img = np.asarray(Image.open(io.BytesIO(encode_mask_png(mask))))
    assert set(np.unique(img)) == {0, 255} and int((img == 255).sum()) == 9


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_no_output_format_carries_exif_gps_xmp_or_icc(fmt):
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0)}  # GPS latitude
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description about="secret-place"/></x:xmpmeta>'
    buf = io.BytesIO()
    Image.fromarray(gradient(64, 80)).save(buf, format="JPEG", exif=exif.tobytes(),
                                           icc_profile=b"ICC-secret" * 40, xmp=xmp)
    source = buf.getvalue()
    assert b"CameraMaker" in source and b"secret-place" in source and b"ICC-secret" in source
    decoded = decode(source, 10_000)
    data = encode(decoded.rgb, fmt, 90)
    for leak in (b"CameraMaker", b"secret-place", b"ICC-secret", b"Exif", b"xmpmeta"):
        assert leak not in data, leak
    info = Image.open(io.BytesIO(data)).info
    assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp"} & set(info)
