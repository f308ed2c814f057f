"""Arguments of ``veil train`` (kept free of torch imports so the CLI starts fast)."""

from __future__ import annotations

import argparse

from service.inference.registry import BACKENDS

ENCODER_NAMES = ("mobilenet_v2", "efficientnet_lite0")
"""The encoders with an offline ImageNet start (``pretrained.ENCODERS``, which needs torch)."""

ROLE_DEFAULTS = {
    # full-frame finders: ``work_size`` is the long side they are served at (written to their config)
    "plates": {"size": 224, "batch": 8, "context": None, "work_size": 960},
    # faces: served at ``context`` × the proposal box, trained over ``context_range`` so the model does not
    # learn one face scale per crop
    "faces": {"size": 128, "batch": 16, "context": 2.0, "context_range": (1.4, 2.6),
              "negative_threshold": 0.1},
    # plate shape refiner: a square crop of ``context`` × the long side of a found plate's box
    "plate-shapes": {"size": 128, "batch": 16, "context": 1.35, "context_range": (1.15, 1.6)},
    # full-frame face proposals beside CenterFace (masked and small faces it misses); one face per window
    # rescaled to ``widths`` px wide
    # plate verifier: square crops of ``contexts`` × a plate proposal's long side → plate or not
    "plate-verifier": {"size": 96, "batch": 32, "context": 2.0, "contexts": (2.0, 5.0),
                       "context_range": (1.6, 2.6),
                    "architecture": "classifier", "rendered_per_kind": 60},
    # face verifier: the same crops around a face proposal the crop model is unsure of → face or not
    "face-verifier": {"size": 96, "batch": 32, "context": 2.0, "contexts": (2.0, 5.0),
                      "context_range": (1.6, 2.6), "architecture": "classifier", "rendered_per_kind": 40,
                      "street_scenes": 400, "people_scenes": 600, "random_share": 0.3},
    "face-finder": {"size": 256, "batch": 8, "context": None, "widths": (8, 160), "work_size": 512},
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("role", choices=sorted(ROLE_DEFAULTS))
    p.add_argument("--arch", choices=BACKENDS, default="unet")
    p.add_argument("--encoder", choices=ENCODER_NAMES, default="mobilenet_v2")
    p.add_argument("--data", default="../shared/data")
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=1800)
    p.add_argument("--batch", type=int, default=0)
    p.add_argument("--size", type=int, default=0)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--budget-seconds", type=float, default=0,
                   help="shorten the schedule (cosine fitted after 200 steps) to end within this time")
    p.add_argument("--workers", type=int, default=1, help="threads drawing training samples (feed a GPU)")
    p.add_argument("--checkpoint-every", type=int, default=100)
    p.add_argument("--no-pretrained", dest="pretrained", action="store_false")
    p.add_argument("--init", default="",
                   help="model directory to fine-tune from (same architecture, any role)")
    p.add_argument("--hard-negatives", default="",
                   help="plates, plate-shapes: plate finder whose false positives on plate-free scenes "
                        "are mined (plate-verifier: comma-separated finders; face-verifier: the face finder)")
    p.add_argument("--negatives", type=float, default=0.0,
                   help="faces, plate-shapes: share of crops on detector false positives (empty target)")
    p.add_argument("--rendered", type=int, default=0,
                   help="plates: rendered plate-free scenes per kind (documents, posters, textures; "
                        "screenshots held out) added to the negative scenes")
    p.add_argument("--output-stride", type=int, default=1,
                   help="U-Net: logits at 1/N of the input, upsampled (a lighter decoder; the "
                        "face crop model uses 2)")
    p.add_argument("--decoder-channels", default="",
                   help="U-Net: comma-separated decoder widths, one per encoder stage used (four: the "
                        "encoder stops at 1/16 of the input)")
    p.add_argument("--distill", default="",
                   help="plates: model directory whose probabilities are the targets instead of the "
                        "labels, on every window (a lighter finder taught to answer as the served one "
                        "does; with --init, a decoder of another shape starts afresh)")
    p.add_argument("--paste", type=float, default=0.0,
                   help="plates: share of samples that paste train plates onto plate-free scenes")
    p.add_argument("--negative-jitter", type=float, default=0.1,
                   help="plate-verifier: hard negatives' boxes moved by up to this share of their size "
                        "per side (positives: 0.25), so that the answer does not hang on how a finder "
                        "draws a box")
    p.add_argument("--cover", type=float, default=0.0,
                   help="plate-verifier: share of plates drawn partly hidden (15-45 %% from one side, by "
                        "another scene's pixels; half as many negatives get such a band too)")
