"""Plate-free scenes rendered in code: documents, screens, posters, signs and textures, by kind and seed.

Text is what a plate finder confuses most readily with a plate, and it is the everyday content of a
document-management system. Each kind draws many fonts, sizes, rotations, colours and print/scan
defects from a seeded generator, so training (low seeds) and evaluation (``EVAL_SEED`` and up) see
different images of the same kinds. Nothing here is read from disk but the system's fonts.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
EVAL_SEED = 1_000_000
"""Evaluation scenes use seeds from here; training uses seeds below it."""

WORDS = ("total", "subtotal", "tax", "cash", "change", "card", "visa", "item", "qty", "price", "invoice",
         "date", "order", "customer", "address", "street", "thank", "you", "receipt", "store", "coffee",
         "milk", "bread", "apples", "water", "service", "amount", "due", "account", "number", "payment",
         "dear", "sir", "madam", "regards", "please", "find", "enclosed", "the", "and", "of", "for",
         "meeting", "report", "project", "name", "signature", "phone", "email", "reference", "page",
         "GmbH", "Ltd", "Inc", "S.A.", "Straße", "Calle", "avenue", "euro", "USD", "discount", "VAT")


@cache
def _font_files() -> tuple[str, ...]:
    found = sorted(str(p) for d in FONT_DIRS if d.is_dir() for p in d.rglob("*.ttf"))
    return tuple(found)


def _font(rng: np.random.Generator, size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    files = _font_files()
    if not files:
        return ImageFont.load_default(size)
    return ImageFont.truetype(files[int(rng.integers(len(files)))], max(6, size))


def _word(rng: np.random.Generator) -> str:
    r = rng.random()
    if r < 0.55:
        w = WORDS[int(rng.integers(len(WORDS)))]
        return w.upper() if rng.random() < 0.3 else w.capitalize() if rng.random() < 0.3 else w
    if r < 0.8:
        return f"{rng.integers(0, 999)}.{rng.integers(0, 99):02d}"
    pool = string.ascii_uppercase + string.digits
    return "".join(pool[int(i)] for i in rng.integers(0, len(pool), int(rng.integers(2, 9))))


def _line(rng: np.random.Generator, words: int) -> str:
    return " ".join(_word(rng) for _ in range(max(1, words)))


def _ink(rng: np.random.Generator, dark: bool = True) -> tuple[int, int, int]:
    if dark:
        v = int(rng.integers(0, 90))
        return (v, v, v) if rng.random() < 0.8 else tuple(int(c) for c in rng.integers(0, 120, 3))
    return tuple(int(c) for c in rng.integers(0, 256, 3))


def _paper(rng: np.random.Generator, w: int, h: int) -> Image.Image:
    tone = rng.integers(225, 256, 3) if rng.random() < 0.8 else rng.integers(180, 256, 3)
    return Image.new("RGB", (w, h), tuple(int(c) for c in tone))


def _receipt(rng: np.random.Generator) -> Image.Image:
    w, h = int(rng.integers(280, 520)), int(rng.integers(700, 1500))
    img = _paper(rng, w, h)
    d = ImageDraw.Draw(img)
    size = int(rng.integers(11, 24))
    font, big = _font(rng, size), _font(rng, int(size * rng.uniform(1.3, 2.4)))
    y, ink = int(rng.integers(10, 40)), _ink(rng)
    for _ in range(int(rng.integers(1, 4))):
        d.text((w // 2, y), _line(rng, int(rng.integers(1, 4))), fill=ink, font=big, anchor="mt")
        y += int(big.size * 1.3)
    while y < h - 2 * size:
        r = rng.random()
        if r < 0.1:
            d.text((8, y), "-" * 60, fill=ink, font=font)
        elif r < 0.15:  # a barcode
            x = int(rng.integers(10, max(11, w // 3)))
            for _ in range(int(rng.integers(20, 50))):
                bw = int(rng.integers(1, 4))
                d.rectangle((x, y, x + bw - 1, y + 3 * size), fill=ink)
                x += bw + int(rng.integers(1, 4))
            y += 3 * size
        else:
            d.text((8, y), _line(rng, int(rng.integers(1, 4))), fill=ink, font=font)
            d.text((w - 8, y), f"{rng.integers(0, 99)}.{rng.integers(0, 99):02d}", fill=ink, font=font,
                   anchor="ra")
        y += int(size * rng.uniform(1.1, 1.8))
    return img


def _letter(rng: np.random.Generator) -> Image.Image:
    w = int(rng.integers(700, 1100))
    h = int(w * 1.414)
    img = _paper(rng, w, h)
    d = ImageDraw.Draw(img)
    size = int(rng.integers(12, 26))
    font, head = _font(rng, size), _font(rng, int(size * rng.uniform(1.5, 3.0)))
    margin = int(w * rng.uniform(0.06, 0.14))
    if rng.random() < 0.6:  # letterhead: a coloured band or a logo box with a name in it
        colour = _ink(rng, dark=False)
        bx = int(rng.integers(margin, w // 2))
        d.rectangle((bx, margin // 2, bx + int(w * rng.uniform(0.15, 0.4)), margin // 2 + head.size * 2),
                    fill=colour)
        d.text((bx + 8, margin // 2 + head.size // 2), _word(rng).upper(), fill=(255, 255, 255), font=head)
    y = margin + head.size * 3
    ink = _ink(rng)
    for _ in range(int(rng.integers(2, 5))):  # address block
        d.text((margin, y), _line(rng, int(rng.integers(2, 5))), fill=ink, font=font)
        y += int(size * 1.3)
    y += size * 2
    while y < h - margin - size * 3:
        for _ in range(int(rng.integers(2, 8))):
            d.text((margin, y), _line(rng, int((w - 2 * margin) / (size * 3.2))), fill=ink, font=font)
            y += int(size * rng.uniform(1.2, 1.6))
        y += size
    start = np.float64([margin + 60, h - margin - 2 * size])
    pts = np.cumsum(rng.normal(0, size / 3, (30, 2)), axis=0) + start
    d.line([tuple(p) for p in pts.tolist()], fill=ink, width=2)
    return img


def _form(rng: np.random.Generator) -> Image.Image:
    w = int(rng.integers(700, 1100))
    h = int(w * rng.uniform(1.2, 1.5))
    img = _paper(rng, w, h)
    d = ImageDraw.Draw(img)
    size = int(rng.integers(11, 22))
    font = _font(rng, size)
    ink, margin = _ink(rng), int(w * 0.07)
    y = margin
    d.text((margin, y), _line(rng, 3).upper(), fill=ink, font=_font(rng, size * 2))
    y += size * 4
    while y < h - margin - size * 3:
        r = rng.random()
        if r < 0.5:  # label + field box
            d.text((margin, y + 4), _line(rng, 2) + ":", fill=ink, font=font)
            x0 = margin + int(w * rng.uniform(0.2, 0.35))
            d.rectangle((x0, y, w - margin, y + int(size * 1.8)), outline=ink, width=1)
            if rng.random() < 0.6:
                d.text((x0 + 6, y + 4), _line(rng, 2), fill=_ink(rng), font=_font(rng, size))
        elif r < 0.7:  # checkboxes
            x = margin
            for _ in range(int(rng.integers(2, 5))):
                d.rectangle((x, y, x + size, y + size), outline=ink, width=1)
                if rng.random() < 0.4:
                    d.line((x, y, x + size, y + size), fill=ink, width=2)
                d.text((x + size + 6, y), _word(rng), fill=ink, font=font)
                x += int(w * 0.2)
        else:  # a table row
            cols = int(rng.integers(3, 6))
            step = (w - 2 * margin) // cols
            for c in range(cols):
                d.rectangle((margin + c * step, y, margin + (c + 1) * step, y + int(size * 1.8)), outline=ink)
                d.text((margin + c * step + 4, y + 4), _word(rng), fill=ink, font=font)
        y += int(size * rng.uniform(2.2, 3.2))
    return img


def _invoice(rng: np.random.Generator) -> Image.Image:
    img = _form(rng) if rng.random() < 0.3 else _letter(rng)
    d = ImageDraw.Draw(img)
    w, h = img.size
    size = int(rng.integers(12, 22))
    font = _font(rng, size)
    y = int(h * rng.uniform(0.45, 0.6))
    colour = _ink(rng, dark=False)
    d.rectangle((w * 0.08, y, w * 0.92, y + size * 1.8), fill=colour)  # a coloured header row
    d.text((w * 0.1, y + 4), "  ".join(_word(rng).upper() for _ in range(4)), fill=(255, 255, 255), font=font)
    y += int(size * 2.2)
    for _ in range(int(rng.integers(3, 10))):
        d.text((w * 0.1, y), _line(rng, 3), fill=_ink(rng), font=font)
        d.text((w * 0.9, y), f"{rng.integers(1, 9999)}.{rng.integers(0, 99):02d}", fill=_ink(rng), font=font,
               anchor="ra")
        y += int(size * 1.5)
    d.rectangle((w * 0.6, y + size, w * 0.92, y + size * 3.5), outline=_ink(rng), width=2)
    d.text((w * 0.62, y + size * 1.5), f"TOTAL {rng.integers(10, 99999)}.{rng.integers(0, 99):02d}",
           fill=_ink(rng), font=_font(rng, int(size * 1.3)))
    return img


def _screenshot(rng: np.random.Generator) -> Image.Image:
    w, h = (1280, 720) if rng.random() < 0.5 else (int(rng.integers(800, 1920)), int(rng.integers(600, 1080)))
    bg = tuple(int(c) for c in (rng.integers(230, 256, 3) if rng.random() < 0.7 else rng.integers(20, 60, 3)))
    fg = (20, 20, 20) if sum(bg) > 384 else (230, 230, 230)
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    size = int(rng.integers(12, 20))
    font = _font(rng, size)
    bar = _ink(rng, dark=False)
    d.rectangle((0, 0, w, size * 2.5), fill=bar)
    d.text((12, size * 0.6), _line(rng, 4), fill=(255, 255, 255), font=font)
    side = int(w * rng.uniform(0.15, 0.25))
    d.rectangle((0, size * 2.5, side, h), fill=tuple(max(0, c - 18) for c in bg))
    y = int(size * 3.5)
    while y < h - size * 2:
        d.text((12, y), _word(rng), fill=fg, font=font)
        y += int(size * 2)
    y = int(size * 4)
    while y < h - size * 4:
        if rng.random() < 0.3:  # a row of buttons: rounded boxes with a word inside
            x = side + 20
            for _ in range(int(rng.integers(1, 5))):
                bw = int(size * rng.uniform(5, 9))
                d.rounded_rectangle((x, y, x + bw, y + size * 2), radius=size // 2,
                                    fill=_ink(rng, dark=False))
                d.text((x + bw // 2, y + size), _word(rng).upper(), fill=(255, 255, 255), font=font,
                       anchor="mm")
                x += bw + 14
            y += size * 3
        else:
            d.text((side + 20, y), _line(rng, int(rng.integers(3, 12))), fill=fg, font=font)
            y += int(size * 1.6)
    return img


def _poster(rng: np.random.Generator) -> Image.Image:
    w, h = int(rng.integers(600, 1100)), int(rng.integers(800, 1400))
    a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    t = np.linspace(0, 1, h)[:, None, None]
    arr = (a * (1 - t) + b * t).astype(np.uint8) * np.ones((1, w, 1), np.uint8)
    img = Image.fromarray(arr)
    d = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(2, 7))):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        r = int(rng.integers(20, w // 2))
        d.ellipse((x - r, y - r, x + r, y + r), fill=_ink(rng, dark=False))
    for _ in range(int(rng.integers(2, 6))):
        size = int(rng.integers(20, 110))
        text = _line(rng, int(rng.integers(1, 3)))
        layer = Image.new("RGBA", (w, size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(layer).text((10, size // 3), text.upper() if rng.random() < 0.5 else text,
                                   fill=(*_ink(rng, dark=False), 255), font=_font(rng, size))
        layer = layer.rotate(float(rng.uniform(-20, 20)), expand=True)
        img.paste(layer, (int(rng.integers(-w // 4, w // 2)), int(rng.integers(0, h - size))), layer)
    return img


SIGN_WORDS = ("EXIT", "ENTRANCE", "CHECK", "TEMPERATURE", "GATE", "PLATFORM", "OPEN", "CLOSED", "TICKETS",
              "PARKING", "NO ENTRY", "STOP", "WAIT HERE", "INFO", "TOILETS", "LIFT", "PHARMACY", "BUS",
              "TAXI", "SALE", "CAFE", "KEEP LEFT", "MASK", "HANDS", "PUSH", "PULL", "STAFF ONLY", "WAY OUT")


def _sign_text(rng: np.random.Generator) -> str:
    r = rng.random()
    if r < 0.5:
        return SIGN_WORDS[int(rng.integers(len(SIGN_WORDS)))]
    if r < 0.75:  # a code: a gate, a bay, a counter, a route
        pool = string.ascii_uppercase + string.digits
        return "".join(pool[int(i)] for i in rng.integers(0, len(pool), int(rng.integers(1, 5))))
    return f"{SIGN_WORDS[int(rng.integers(len(SIGN_WORDS)))]} {rng.integers(1, 99)}"


def _sign(rng: np.random.Generator) -> Image.Image:
    """Signs on a wall, a stand or a shop front: panels with one or two lines of large text, photographed
    at an angle. A sign with a few large characters is the plate finder's most plate-like mistake."""
    img = _texture(rng)
    w, h = img.size
    if rng.random() < 0.5:  # a plain wall or a gradient instead of a texture
        a, b = rng.integers(60, 256, 3), rng.integers(60, 256, 3)
        t = np.linspace(0, 1, w)[None, :, None]
        img = Image.fromarray(((a * (1 - t) + b * t) * np.ones((h, 1, 1))).astype(np.uint8))
    d = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(1, 4))):
        lines = [_sign_text(rng) for _ in range(int(rng.integers(1, 3)))]
        size = int(rng.integers(14, 90))
        font = _font(rng, size)
        tw = max(int(d.textlength(line, font=font)) for line in lines)
        pw = tw + int(size * rng.uniform(0.4, 1.6))
        ph = int(size * (1.3 * len(lines) + rng.uniform(0.2, 1.0)))
        x, y = int(rng.integers(-pw // 4, max(1, w - pw // 2))), int(rng.integers(0, max(1, h - ph)))
        panel = _ink(rng, dark=False) if rng.random() < 0.6 else (int(rng.integers(225, 256)),) * 3
        ink = (20, 20, 20) if sum(panel) > 384 else (245, 245, 245)
        if rng.random() < 0.4:  # a stand or a pole under it
            d.rectangle((x + pw // 2 - size // 6, y + ph, x + pw // 2 + size // 6, h), fill=_ink(rng))
        d.rounded_rectangle((x, y, x + pw, y + ph), radius=int(size * rng.uniform(0, 0.4)), fill=panel,
                            outline=ink if rng.random() < 0.4 else None, width=max(1, size // 12))
        for i, line in enumerate(lines):
            d.text((x + pw // 2, y + ph * (i + 0.5) / len(lines)), line, fill=ink, font=font, anchor="mm")
    return img


def _texture(rng: np.random.Generator) -> Image.Image:
    w, h = int(rng.integers(500, 1200)), int(rng.integers(400, 900))
    kind = int(rng.integers(4))
    if kind == 0:  # bricks / tiles
        arr = np.full((h, w, 3), rng.integers(120, 200, 3), np.uint8)
        bh, bw = int(rng.integers(12, 50)), int(rng.integers(30, 120))
        for r, y in enumerate(range(0, h, bh)):
            for x in range(-(r % 2) * bw // 2, w, bw):
                cv2.rectangle(arr, (x, y), (x + bw - 3, y + bh - 3), rng.integers(60, 220, 3).tolist(), -1)
    elif kind == 1:  # stripes and grilles
        arr = np.zeros((h, w, 3), np.uint8)
        period = int(rng.integers(4, 30))
        arr[:] = rng.integers(0, 255, 3)
        for x in range(0, w, period):
            cv2.line(arr, (x, 0), (x + int(rng.integers(-50, 50)), h), rng.integers(0, 255, 3).tolist(),
                     int(rng.integers(1, period // 2 + 2)))
    elif kind == 2:  # smooth noise (fabric, stone)
        small = rng.integers(0, 256, (int(rng.integers(4, 40)), int(rng.integers(4, 40)), 3)).astype(np.uint8)
        arr = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
        arr = np.clip(arr + rng.normal(0, 12, arr.shape), 0, 255).astype(np.uint8)
    else:  # checkerboard / keyboard-like keys
        arr = np.full((h, w, 3), rng.integers(0, 80, 3), np.uint8)
        k = int(rng.integers(20, 70))
        for y in range(0, h, k):
            for x in range(0, w, k):
                if rng.random() < 0.8:
                    key = rng.integers(150, 256, 3).tolist()
                    cv2.rectangle(arr, (x + 3, y + 3), (x + k - 3, y + k - 3), key, -1)
                    cv2.putText(arr, string.ascii_uppercase[int(rng.integers(26))],
                                (x + k // 4, y + 3 * k // 4),
                                int(rng.integers(0, 8)), k / 40, (20, 20, 20), 1, cv2.LINE_AA)
    return Image.fromarray(arr)


def scanned(rng: np.random.Generator, rgb: np.ndarray) -> np.ndarray:
    """Print and scan defects: a small skew on a scanner bed, blur, noise, uneven toner, JPEG."""
    h, w = rgb.shape[:2]
    bed = tuple(int(c) for c in rng.integers(0, 256, 3)) if rng.random() < 0.5 else (250, 250, 250)
    pad = int(max(h, w) * rng.uniform(0.0, 0.08))
    out = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=bed)
    m = cv2.getRotationMatrix2D((out.shape[1] / 2, out.shape[0] / 2), float(rng.uniform(-4, 4)), 1.0)
    out = cv2.warpAffine(out, m, (out.shape[1], out.shape[0]), borderValue=bed)
    if rng.random() < 0.6:
        out = cv2.GaussianBlur(out, (0, 0), float(rng.uniform(0.3, 1.2)))
    noise = rng.normal(0, rng.uniform(1, 8), out.shape)
    out = np.clip(out.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    q = int(rng.integers(40, 95))
    return cv2.imdecode(cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, q])[1], cv2.IMREAD_COLOR)


def photographed(rng: np.random.Generator, rgb: np.ndarray) -> np.ndarray:
    """A document photographed on a desk: perspective, uneven light, a textured surface around it."""
    h, w = rgb.shape[:2]
    ow, oh = int(w * rng.uniform(1.1, 1.6)), int(h * rng.uniform(1.1, 1.5))
    desk = np.asarray(_texture(rng).resize((ow, oh)))
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(-0.08, 0.08, (4, 2)) * (w, h)
    x0, y0, x1, y1 = (ow - w) / 2, (oh - h) / 2, (ow + w) / 2, (oh + h) / 2
    dst = np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]) + jitter.astype(np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    page = cv2.warpPerspective(rgb, m, (ow, oh))
    inside = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, (ow, oh)) > 0
    out = np.where(inside[..., None], page, desk).astype(np.float32)
    gx, gy = np.meshgrid(np.linspace(-1, 1, ow), np.linspace(-1, 1, oh))
    light = 1 + rng.uniform(-0.3, 0.1) * (gx * rng.uniform(-1, 1) + gy * rng.uniform(-1, 1))
    out = np.clip(out * light[..., None], 0, 255).astype(np.uint8)
    return cv2.imdecode(cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(60, 95))])[1],
                        cv2.IMREAD_COLOR)


def _as_rgb(img: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(img.convert("RGB")))


Renderer = Callable[[np.random.Generator], np.ndarray]


def _document(draw: Callable[[np.random.Generator], Image.Image]) -> Renderer:
    """A page as printed and scanned, photographed, or clean (as exported to an image)."""
    def render(rng: np.random.Generator) -> np.ndarray:
        page = _as_rgb(draw(rng))
        r = rng.random()
        if r < 0.45:
            return cv2.cvtColor(scanned(rng, cv2.cvtColor(page, cv2.COLOR_RGB2BGR)), cv2.COLOR_BGR2RGB)
        if r < 0.8:
            return cv2.cvtColor(photographed(rng, page), cv2.COLOR_BGR2RGB)
        return page
    return render


def _half_photographed(draw: Callable[[np.random.Generator], Image.Image]) -> Renderer:
    """A scene photographed (perspective, blur, light) half of the time, clean otherwise."""
    def render(rng: np.random.Generator) -> np.ndarray:
        if rng.random() < 0.5:
            return cv2.cvtColor(photographed(rng, _as_rgb(draw(rng))), cv2.COLOR_BGR2RGB)
        return _as_rgb(draw(rng))
    return render


KINDS: dict[str, Renderer] = {
    "receipt": _document(_receipt),
    "letter": _document(_letter),
    "form": _document(_form),
    "invoice": _document(_invoice),
    "screenshot": lambda rng: _as_rgb(_screenshot(rng)),
    "poster": lambda rng: _as_rgb(_poster(rng)),
    "texture": lambda rng: _as_rgb(_texture(rng)),
    "sign": _half_photographed(_sign),
}
"""Kind → renderer of one RGB image (uint8, H×W×3) from a generator."""


def render(kind: str, seed: int) -> np.ndarray:
    """The plate-free ``kind`` image of ``seed`` (the same image on every machine for a seed)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
    return KINDS[kind](np.random.default_rng([seed, list(KINDS).index(kind)]))
