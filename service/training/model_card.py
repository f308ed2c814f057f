"""Render ``MODEL_CARD.md`` from a model's ``config.json`` and ``veil evaluate --json`` results."""

from __future__ import annotations

import json
from pathlib import Path

from service.evaluation.report import table
from service.inference.model_files import read_config

LICENCES = {
    "plates_uc3m_lp_320": "ODbL-1.0, non-commercial without the UC3M-LP authors' permission",
    "plates_openalpr": "AGPL-3.0 (openalpr/benchmarks repository licence)",
    "faces_fasseg": "research use, cite Khan et al. ICIP 2015 / ICME 2017",
    "faces_fmd_train": "CC0-1.0 (Face-Mask-Detection, Kaggle andrewmvd)",
}
ROLE_TEXT = {
    "plates": "Finds license plates in the whole frame (probability map at a working size, long side "
              "`work_size`; connected components become plates) and gives their shape.",
    "plate-shapes": "Refines each plate the plate finder found: segments a square crop (`context` × the "
                    "found box's long side) into the plate's exact shape (the annotated quadrilateral). "
                    "Where it disagrees with the finder, the finder's mask is kept (fail closed).",
    "faces": "Refines a CenterFace proposal: segments a square crop (`context` × the box) into the face's "
             "pixel mask (skin, eyes, nose, mouth; hair excluded).",
    "face-finder": "Finds faces in the whole frame beside CenterFace (probability map at a working size, "
                   "long side `work_size`; connected components become faces): a part that no CenterFace "
                   "proposal overlaps becomes a new proposal (from `propose_threshold`; kept where the face "
                   "crop model confirms it), and the parts overlapping a proposal are added to that face's "
                   "mask within 1.3 × its box's ellipse (a worn medical mask included: the crop model sees "
                   "skin).",
}
CLASS_OF = {"plate-shapes": "plates", "face-finder": "faces"}  # the class a role's metrics are reported under
SCALE = {"face-finder": "faces rescaled to 8–160 px wide"}  # default: plates rescaled to 12–200 px wide
EXTRA_AUG = {"faces": ", downscale-upscale (small faces)", "plates": ", face scenes as negatives",
             "face-finder": "; targets: the ellipse inscribed in each face box",
             "plate-shapes": ", each side of the plate's box jittered ±15 % (the finder's boxes are noisy), "
                             "downscale-upscale (small plates)"}


def _stage(t: dict) -> str:
    return (f"`{t.get('command', '?')}` — {t.get('steps')} steps × batch {t.get('batch')} of "
            f"{t.get('crop')}² crops, AdamW lr {t.get('lr')} (warm-up, cosine), seed {t.get('seed')}, "
            f"final smoothed loss {t.get('final_loss')}, wall time {t.get('wall_seconds_last_leg')} s")


def _where(t: dict) -> str:
    if "--device cuda" in t.get("command", ""):
        return "bf16 autocast on a lent NVIDIA H200, samples drawn by CPU threads"
    precision = t.get("precision", "bf16 autocast")  # runs before the record named it used bf16
    return (f"{precision} on a 2-core CPU, one thread, shared with other training runs "
            "running beside it")


def _history(t: dict) -> tuple[dict, list[dict]]:
    """(ImageNet encoder provenance, training stages oldest first) through any fine-tuning chain."""
    stages = [t]
    while (t.get("encoder_init") or {}).get("previous_training"):
        t = t["encoder_init"]["previous_training"]
        stages.insert(0, t)
    return t.get("encoder_init") or {}, stages


def render(model_dir: Path, results: list[dict], extra: str = "") -> str:
    cfg = read_config(model_dir)
    t = cfg.get("training", {})
    init, stages = _history(t)
    steps = "\n".join(f"{i}. {_stage(st)}; data: {', '.join(st.get('data', []))}"
                      for i, st in enumerate(stages, 1))
    data = "\n".join(f"- `{d}` — {LICENCES.get(d.split(':')[0], 'derived from the sets above')}"
                     for d in t.get("data", []))
    q = cfg.get("int8")
    int8 = (f" and an int8 export `model.int8.onnx` ({q['format']}; calibrated on {q['images']} images of "
            f"{', '.join(q['calibration'])}; served by default where exact on the CPU)" if q else "")
    size_mb = sum(p.stat().st_size for p in model_dir.iterdir() if p.suffix in {".safetensors"}) / 1e6
    return f"""# {model_dir.name}

**Task.** {ROLE_TEXT[cfg['role']]}

**Architecture.** smp `{cfg['architecture']}`, encoder `{cfg['encoder']}`, one output class (logit),
ImageNet normalisation; weights `model.safetensors` ({size_mb:.1f} MB), ONNX export `model.onnx`{int8}
(served with ONNX Runtime on CPU). Config: `config.json`.

**Initialisation.** Encoder from `{init.get('package', 'random')}` (`{init.get('file', '-')}`, sha256
`{init.get('sha256', '-')}`); decoder random. No weights or data were downloaded.

**Training data** (licences restrict reuse; this model inherits those limits):
{data}

**Training** ({_where(t)}; BCE (positives ×2) + Dice; augmentation: scale
({SCALE.get(cfg['role'], 'plates rescaled to 12–200 px wide')}), perspective, rotation, motion/defocus
blur, JPEG, noise, low light, colour shifts{EXTRA_AUG[cfg['role']]}).
Each stage starts from the previous one's weights (`--init`); reproduce them in order, pointing `--init`
at the first stage's output:

{steps}

**Metrics** (final mask = this model as served by default + default dilation; `veil evaluate`, see
docs/accuracy.md):

{table(results, only=CLASS_OF.get(cfg['role'], cfg['role']))}
{extra}
**Limits.** Trained on small public sets: European (UC3M) and US/EU/BR (OpenALPR) plates, frontal
portraits (FASSEG) and Asian street scenes with medical masks (Face-Mask-Detection). Expect lower recall
on unusual plate formats, extreme angles, night IR footage and very small objects; always review
high-stakes output.
"""


def main(argv: list[str] | None = None) -> None:
    import argparse

    p = argparse.ArgumentParser(prog="python -m service.training.model_card")
    p.add_argument("model_dir", type=Path)
    p.add_argument("--eval", type=Path, action="append", default=[])
    p.add_argument("--extra", type=Path, help="markdown appended after the metrics (e.g. an ablation)")
    args = p.parse_args(argv)
    results = [json.loads(e.read_text()) for e in args.eval]
    extra = "\n" + args.extra.read_text(encoding="utf-8").strip() + "\n" if args.extra else ""
    (args.model_dir / "MODEL_CARD.md").write_text(render(args.model_dir, results, extra), encoding="utf-8")


if __name__ == "__main__":
    main()
