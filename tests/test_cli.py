import contextlib
import struct

import numpy as np
from PIL import Image

from service.cli import main
from tests.conftest import FIXTURES, gradient, jpeg_bytes


def rotated_jpeg() -> bytes:
    """A 80×40 JPEG whose EXIF says orientation 6 (display is 40×80)."""
    tiff = b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", 1)
    tiff += struct.pack("<HHIHH", 0x0112, 3, 1, 6, 0) + struct.pack("<I", 0)
    payload = b"Exif\0\0" + tiff
    body = jpeg_bytes(gradient(40, 80))
    return body[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + body[2:]


def test_redact_one_file(tmp_path, tiny_models_dir, monkeypatch):
    monkeypatch.setenv("VEIL_MODELS_DIR", str(tiny_models_dir))
    src = FIXTURES / "street_faces_785.jpg"
    out = tmp_path / "out.jpg"
    assert main(["redact", str(src), "-o", str(out), "--mode", "fill", "--classes", "faces"]) == 0
    before = np.asarray(Image.open(src).convert("RGB")).astype(int)
    after = np.asarray(Image.open(out).convert("RGB")).astype(int)
    assert after.shape == before.shape
    assert np.abs(after[110:150, 175:200] - before[110:150, 175:200]).mean() > 30


def test_redact_several_with_masks(tmp_path, tiny_models_dir, monkeypatch):
    monkeypatch.setenv("VEIL_MODELS_DIR", str(tiny_models_dir))
    a, b = tmp_path / "a.jpg", tmp_path / "b.png"
    a.write_bytes(rotated_jpeg())
    Image.fromarray(gradient(50, 70)).save(b)
    out, masks = tmp_path / "out", tmp_path / "masks"
    code = main(["redact", str(a), str(b), "-o", str(out), "--masks", str(masks),
                 "--regions", "[[0,0,10,10]]", "--dilation-px", "0", "--dilation-pct", "0"])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["a.jpg", "b.png"]
    mask_a = np.asarray(Image.open(masks / "a.png"))
    assert mask_a.shape == (80, 40)  # the size after EXIF orientation
    assert set(np.unique(mask_a)) <= {0, 255} and np.all(mask_a[:10, :10] == 255)
    assert np.asarray(Image.open(masks / "b.png")).shape == (50, 70)


def test_bad_input_is_reported_and_nothing_written(tmp_path, tiny_models_dir, monkeypatch, capsys):
    monkeypatch.setenv("VEIL_MODELS_DIR", str(tiny_models_dir))
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(jpeg_bytes(gradient())[:300])
    out = tmp_path / "o.jpg"
    assert main(["redact", str(bad), "-o", str(out)]) == 1
    assert not out.exists()
    assert "could not be decoded" in capsys.readouterr().err
    assert main(["redact", str(bad), "-o", str(out), "--mode", "smear"]) == 2


def test_help_lists_the_commands(capsys):
    with contextlib.suppress(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for cmd in ("redact", "serve", "train", "evaluate", "bench"):
        assert cmd in text


def test_redact_a_video(tmp_path, tiny_models_dir, monkeypatch):
    from tests.conftest import clip_facts, make_clip

    monkeypatch.setenv("VEIL_MODELS_DIR", str(tiny_models_dir))
    src = make_clip(tmp_path / "clip.mp4", frames=20)
    out = tmp_path / "out.mp4"
    assert main(["redact", str(src), "-o", str(out), "--stride", "2", "--classes", "faces"]) == 0
    a, b = clip_facts(src), clip_facts(out)
    assert b["frames"] == 20 and b["audio"] == a["audio"]


def test_the_hostile_corpus_through_the_cli(tmp_path, tiny_models_dir, monkeypatch, capsys):
    """Every case of tests/api/hostile_media.py on disk: refused files get one line on stderr naming the
    file and no output; the others are written; nothing crashes and the exit status says some failed."""
    from service.api.upload import RAW_TYPES
    from tests.api.hostile_media import image_cases, video_cases

    monkeypatch.setenv("VEIL_MODELS_DIR", str(tiny_models_dir))
    monkeypatch.setenv("VEIL_MAX_PIXELS", "4000000")
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    cases = image_cases() + video_cases(src)
    files = []
    for i, (_, data, _, _) in enumerate(cases):
        files.append(src / f"case{i:03d}.upload")
        files[-1].write_bytes(data)
    capsys.readouterr()
    assert main(["redact", *map(str, files), "-o", str(out), "--classes", "faces"]) == 1
    errors = capsys.readouterr().err
    written = {p.name.split(".")[0] for p in out.iterdir()}
    for path, (name, _, kind, (status, _)) in zip(files, cases, strict=True):
        refused, kept = f"veil: {path}:" in errors, path.stem in written
        assert refused != kept, name  # one or the other, never both, never neither
        if kind.startswith(RAW_TYPES):  # (a file on disk has no Content-Type for the API to refuse)
            assert kept == (status == 200), name
    assert "Traceback" not in errors
