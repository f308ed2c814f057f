"""A composed 720p scene sent through a running Veil's ``/v1/jobs``, measured from the file it returns.

Renders one scene (``service.evaluation.video_scenes``: by default a 5 s street scene with audio — a
car's rear with its plate, a crowd photo in a corner, a sign — filmed by a panning, shaking camera),
posts it with ``mode=fill`` in magenta and the given profile, waits for the job, downloads the result and
decodes it. A pixel counts as redacted where the output is magenta; from the scene's ground truth it
reports the leak rate (object-frames under 0.8 redacted), the background changed (mean and worst frame)
and the job's end-to-end fps (upload to downloaded result). Optionally runs deface 1.5 on the same file.

    python scripts/video_job_check.py --url http://127.0.0.1:8000 --profile fast --profile balanced
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import av
import numpy as np

from service.datasets import load_records, select
from service.evaluation.video_leaks import Tally
from service.evaluation.video_scenes import SceneSpec, compose, frames_of, scenes, write_clip
from service.media.images import decode

MAGENTA = np.array([255, 0, 255])


def _post(url: str, path: Path, fields: dict[str, str]) -> dict:
    boundary = "veil-check-boundary"
    body = b""
    for k, v in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
             "Content-Type: video/mp4\r\n\r\n").encode()
    body += path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(url, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url) as r:
        return r.read()


def _decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def _score(frames: list[np.ndarray], truths) -> dict:
    tally = Tally()
    for rgb, (truth, ignore) in zip(frames, truths, strict=True):
        tally.add_frame(np.abs(rgb.astype(int) - MAGENTA).sum(axis=2) < 90, truth, ignore)
    return tally.result()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--data", type=Path, default=Path("../shared/data"))
    p.add_argument("--profile", action="append", help="profiles to send (default: the service's)")
    p.add_argument("--kind", default="street")
    p.add_argument("--motion", default="pan-shake")
    p.add_argument("--frames", type=int, default=150)
    p.add_argument("--deface", action="store_true", help="also run deface 1.5 (solid fill) on the clip")
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    road = select(load_records(args.data / "plates_openalpr"), "dev")
    crowd = select(load_records(args.data / "faces_fmd_train"), "dev")
    spec, r, c = scenes(road, crowd, 1, frames=args.frames, kinds=(args.kind,))[0]
    spec = SceneSpec(args.kind, args.motion, args.frames, seed=spec.seed)
    canvas = compose(spec, r, c, lambda rec: decode(rec.image.read_bytes(), 1 << 31).rgb)
    truths = [(t, i) for _, t, i in frames_of(spec, canvas)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="veil-check-") as work:
        clip = Path(work) / "scene.mp4"
        write_clip((f for f, _, _ in frames_of(spec, canvas)), clip)
        for profile in args.profile or [None]:
            fields = {"mode": "fill", "colour": "#ff00ff", **({"profile": profile} if profile else {})}
            t0 = time.perf_counter()
            job = _post(f"{args.url}/v1/jobs", clip, fields)
            status = f"{args.url}/v1/jobs/{job['id']}"
            while (state := json.loads(_get(status)))["status"] in ("queued", "running"):
                time.sleep(0.2)
            if state["status"] != "succeeded":
                raise SystemExit(f"job {state['status']}: {state.get('error')}")
            out = Path(work) / "out.mp4"
            out.write_bytes(_get(f"{args.url}/v1/jobs/{job['id']}/result"))
            seconds = time.perf_counter() - t0
            rows.append({"what": f"veil {profile or 'default'}", "fps": round(args.frames / seconds, 2),
                         **_score(_decoded(out), truths)})
            print(json.dumps(rows[-1]))
        if args.deface:
            exe = shutil.which("deface") or str(Path(sys.executable).with_name("deface"))
            out = Path(work) / "deface.mp4"
            t0 = time.perf_counter()
            subprocess.run([exe, str(clip), "-o", str(out), "--replacewith", "solid", "--keep-audio"],
                           check=True, capture_output=True)
            seconds = time.perf_counter() - t0
            # deface's solid fill is black: redacted where the output went black and the input was not
            frames_in, frames_out = _decoded(clip), _decoded(out)
            tally = Tally()
            for a, b, (truth, ignore) in zip(frames_in, frames_out, truths, strict=True):
                changed = (b.astype(int).sum(axis=2) < 30) & (a.astype(int).sum(axis=2) >= 30)
                tally.add_frame(changed, truth, ignore)
            rows.append({"what": "deface 1.5 (solid)", "fps": round(args.frames / seconds, 2),
                         **tally.result()})
            print(json.dumps(rows[-1]))
    result = {"scene": spec.__dict__, "size": "1280x720", "rows": rows}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
