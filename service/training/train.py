"""Train one segmentation model (plates full-frame, or faces crop) and write its model directory.

Reproducible from ``../shared/data`` with one command (see each model's MODEL_CARD.md); checkpoints to
``<out>/checkpoint.pt`` so a stopped run resumes where it was.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from service.datasets import load_records, select
from service.errors import ConfigurationError
from service.inference.architectures import build_model
from service.inference.model_files import MEAN, STD, save_model_dir
from service.training.arguments import ROLE_DEFAULTS
from service.training.pretrained import ENCODERS
from service.training.samplers import FaceCropSampler, PlateSampler, _read_rgb
from service.training.shape_sampler import PlateShapeSampler

HELD_OUT_KINDS = ("screenshot",)
"""Rendered kinds no model trains on: the negative suite measures how it generalises."""


def fit_long_side(img: np.ndarray, side: int) -> np.ndarray:
    """``img`` shrunk so its long side is at most ``side``."""
    scale = side / max(img.shape[:2])
    if scale >= 1:
        return img
    return cv2.resize(img, (round(img.shape[1] * scale), round(img.shape[0] * scale)),
                      interpolation=cv2.INTER_AREA)


def _train_plates(data: Path) -> list:
    return select(load_records(data / "plates_uc3m_lp_320"), "train") + select(
        load_records(data / "plates_openalpr"), "train")


def _mined(args: argparse.Namespace, negatives: list) -> dict:
    """Where the plate finder ``--hard-negatives`` fires on the plate-free ``negatives`` (records or
    images in memory)."""
    from service.training.mining import mine_false_positives, mine_images

    if negatives and isinstance(negatives[0], np.ndarray):
        return mine_images(Path(args.hard_negatives), negatives, threshold=0.3, threads=args.threads)
    return mine_false_positives(Path(args.hard_negatives), negatives, threads=args.threads)


def _plate_sampler(args: argparse.Namespace, data: Path, size: int):
    plates = _train_plates(data)
    negatives: list = select(load_records(data / "faces_fmd_train"), "train")
    sources = ["plates_uc3m_lp_320:train", "plates_openalpr:train(hash)",
               "faces_fmd_train:train(hash, negatives)"]
    if args.rendered:
        from service.negatives import KINDS, render

        kinds = [k for k in KINDS if k not in HELD_OUT_KINDS]
        negatives = [_read_rgb(r.image) for r in negatives]
        work = ROLE_DEFAULTS["plates"]["work_size"]  # rendered pages at the scale the finder sees them
        negatives += [fit_long_side(render(k, seed), work) for k in kinds for seed in range(args.rendered)]
        sources.append(f"rendered plate-free scenes as negatives: {args.rendered} each of "
                       f"{', '.join(kinds)} (seeds 0–{args.rendered - 1}; {', '.join(HELD_OUT_KINDS)} "
                       "held out)")
    hard = None
    if args.hard_negatives:
        hard = _mined(args, negatives)
        sources.append(f"hard negatives: {sum(map(len, hard.values()))} false positives of "
                       f"{args.hard_negatives} on {len(hard)} negative scenes")
    if args.paste:
        sources.append(f"copy-paste: train plates onto negative scenes, p={args.paste}")
    return PlateSampler(plates, negatives, size=size, hard=hard, paste=args.paste), sources


def _plate_shape_sampler(args: argparse.Namespace, data: Path, size: int):
    plates = _train_plates(data)
    lo, hi = ROLE_DEFAULTS["plate-shapes"]["context_range"]
    sources = [f"plates_uc3m_lp_320:train (crops on jittered plate boxes, context {lo}–{hi})",
               "plates_openalpr:train(hash) (same crops)"]
    negatives, hard = [], None
    if args.hard_negatives:
        negatives = select(load_records(data / "faces_fmd_train"), "train")
        hard = _mined(args, negatives)
        sources.append(f"negatives: {sum(map(len, hard.values()))} components of {args.hard_negatives} "
                       f"on {len(hard)} plate-free faces_fmd_train:train scenes, empty target, "
                       f"p={args.negatives}")
    return PlateShapeSampler(plates, size=size, context=(lo, hi), negatives=negatives, hard=hard,
                             negative_share=args.negatives), sources


def _face_sampler(args: argparse.Namespace, data: Path, size: int):
    from service.training.proposals import aligned_boxes, false_positives, propose

    masked = select(load_records(data / "faces_fasseg"), "train")
    boxed = select(load_records(data / "faces_fmd_train"), "train")
    lo, hi = ROLE_DEFAULTS["faces"]["context_range"]
    low = ROLE_DEFAULTS["faces"]["negative_threshold"]
    wrong = false_positives(boxed, propose(boxed, low, threads=args.threads))
    sampler = FaceCropSampler(masked, boxed, size=size, context=(lo, hi),
                              proposals=aligned_boxes(masked, propose(masked, 0.3, threads=args.threads)),
                              negatives=wrong, negative_share=args.negatives)
    return sampler, [f"faces_fasseg:train (crops on CenterFace boxes, context {lo}–{hi})",
                     f"faces_fmd_train:train(hash, ellipse targets, context {lo}–{hi})",
                     f"negatives: {sum(map(len, wrong.values()))} CenterFace proposals ≥ {low} far from "
                     f"every labelled face on faces_fmd_train:train, p={args.negatives}"]


def _face_finder_sampler(args: argparse.Namespace, data: Path, size: int):
    from service.training.samplers import face_ellipses

    scenes = select(load_records(data / "faces_fmd_train"), "train")
    lo, hi = ROLE_DEFAULTS["face-finder"]["widths"]
    # no negative scenes: the plate sets' street scenes hold faces nobody labelled
    return PlateSampler(scenes, [], size=size, objects=face_ellipses, widths=(lo, hi)), [
        f"faces_fmd_train:train(hash) (scene windows, one face rescaled to {lo}–{hi} px wide, "
        "ellipse targets inscribed in the boxes)"]


def _plate_verifier_sampler(args: argparse.Namespace, data: Path, size: int):
    from service.datasets import DEV_HOLDOUT_EVERY, is_holdout
    from service.negatives import KINDS, render
    from service.training.check_sampler import CropCheckSampler
    from service.training.mining import mine_images

    # UC3M-LP has no dev split: one train image in five (by name hash) is held back to choose the threshold
    uc3m = [r for r in select(load_records(data / "plates_uc3m_lp_320"), "train")
            if not is_holdout(r, DEV_HOLDOUT_EVERY)]
    plates = uc3m + select(load_records(data / "plates_openalpr"), "train")
    people = [r.image for name in ("faces_fmd_train", "faces_fasseg")
              for r in select(load_records(data / name), "train")]
    scenes = [_read_rgb(p) for p in people]
    per_kind = ROLE_DEFAULTS["plate-verifier"]["rendered_per_kind"]
    kinds = [k for k in KINDS if k not in HELD_OUT_KINDS]
    scenes += [render(k, seed) for k in kinds for seed in range(per_kind)]
    hard: dict = {}
    finders = [f for f in args.hard_negatives.split(",") if f]
    cache = Path(args.out) / "mined.json"  # mining takes longer than training: a restart reuses it
    mined = json.loads(cache.read_text(encoding="utf-8")) if cache.is_file() else {}
    for finder in finders:
        key = f"{finder}:{len(scenes)}"
        if key not in mined:
            found = mine_images(Path(finder), scenes, threshold=0.2, threads=args.threads)
            mined[key] = {str(i): boxes for i, boxes in found.items()}
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(mined), encoding="utf-8")
        for i, boxes in mined[key].items():
            hard.setdefault(int(i), []).extend(tuple(b) for b in boxes)
    lo, hi = ROLE_DEFAULTS["plate-verifier"]["context_range"]
    focus = _still_taken(Path(args.init), scenes, hard) if args.init else {}
    sources = [
        "plates_uc3m_lp_320:train minus its hash hold-out (positives: jittered plate boxes, context "
        f"{lo}–{hi})", "plates_openalpr:train(hash) (same positives)",
        "faces_fmd_train:train(hash), faces_fasseg:train (negative scenes)",
        f"rendered plate-free scenes: {per_kind} each of {', '.join(kinds)} (seeds 0–{per_kind - 1}; "
        f"{', '.join(HELD_OUT_KINDS)} held out)",
        f"hard negatives: {sum(map(len, hard.values()))} components ≥ 0.2 of {', '.join(finders)} on "
        f"{len(hard)} negative scenes; random plate-shaped windows of them, p=0.15"]
    if focus:
        sources.append(f"focus: the {sum(map(len, focus.values()))} hard negatives {args.init} scored ≥ "
                       f"{FOCUS_SCORE}, half of the hard-negative draws")
    contexts = ROLE_DEFAULTS["plate-verifier"]["contexts"]
    sources.append(f"views: contexts {', '.join(map(str, contexts))} × the box's long side (the first drawn "
                   f"from {lo}–{hi}, the others in proportion)")
    if args.cover:
        sources.append(f"covers: {args.cover:.0%} of the plates drawn 15–45 % hidden from one side by a "
                       f"band of a negative scene's pixels (the box: what is left), {args.cover / 2:.0%} "
                       "of the negatives with such a band")
    sampler = CropCheckSampler(plates, scenes, hard, size=size, context=(lo, hi), focus=focus,
                               views=tuple(c / contexts[0] for c in contexts), cover=args.cover,
                               hard_jitter=args.negative_jitter)
    sources.append(f"hard negatives' boxes moved by up to {sampler.hard_jitter:.0%} of their size per side "
                   f"(positives: {sampler.jitter:.0%})")
    return sampler, sources


def _face_verifier_sampler(args: argparse.Namespace, data: Path, size: int):
    """Faces (FMD boxes, FASSEG portraits) against where the face finder fires on rendered documents and
    on street scenes (away from any face CenterFace sees there), and random face-shaped windows of
    documents, streets and people scenes away from their faces."""
    from service.inference.segmenters import FaceFinder
    from service.negatives import KINDS, render
    from service.training.check_sampler import CropCheckSampler, face_boxes, face_window
    from service.training.mining import NOT_A_FACE_BELOW, mine_images, not_faces

    defaults = ROLE_DEFAULTS["face-verifier"]
    fmd = select(load_records(data / "faces_fmd_train"), "train")
    faces = fmd + select(load_records(data / "faces_fasseg"), "train")
    per_kind = defaults["rendered_per_kind"]
    kinds = [k for k in KINDS if k not in HELD_OUT_KINDS]
    scenes = [render(k, seed) for k in kinds for seed in range(per_kind)]
    streets = select(load_records(data / "plates_uc3m_lp_320"), "train")[:defaults["street_scenes"]] + \
        select(load_records(data / "plates_openalpr"), "train")
    scenes += [_read_rgb(r.image) for r in streets]
    hard: dict = {}
    if args.hard_negatives:
        # street scenes hold drivers and passers-by nobody labelled: CenterFace's faces are no negatives
        hard = not_faces(mine_images(Path(args.hard_negatives), scenes, threshold=0.3, threads=args.threads,
                                     cls=FaceFinder), scenes, args.threads)
    people = fmd[:defaults["people_scenes"]]
    avoid = {len(scenes) + i: [_widened(b, 1.5) for b in r.faces] for i, r in enumerate(people)}
    scenes += [_read_rgb(r.image) for r in people]
    lo, hi = defaults["context_range"]
    contexts = defaults["contexts"]
    sources = [
        "faces_fmd_train:train(hash), faces_fasseg:train (positives: jittered face boxes, context "
        f"{lo}–{hi})",
        f"rendered face-free scenes: {per_kind} each of {', '.join(kinds)} (seeds 0–{per_kind - 1}; "
        f"{', '.join(HELD_OUT_KINDS)} held out)",
        f"street scenes: the first {defaults['street_scenes']} of plates_uc3m_lp_320:train, "
        "plates_openalpr:train(hash)",
        f"hard negatives: {sum(map(len, hard.values()))} face finder ({args.hard_negatives}) parts ≥ 0.3 on "
        f"{len(hard)} rendered and street scenes, none overlapping a CenterFace face ≥ {NOT_A_FACE_BELOW}",
        f"random face-shaped windows (p={defaults['random_share']}) of those scenes and of {len(people)} "
        "faces_fmd_train:train scenes away from their labelled faces",
        f"views: contexts {', '.join(map(str, contexts))} × the box's long side"]
    return CropCheckSampler(faces, scenes, hard, size=size, context=(lo, hi), jitter=0.2,
                            random_share=defaults["random_share"], objects=face_boxes, window=face_window,
                            avoid=avoid, views=tuple(c / contexts[0] for c in contexts)), sources


def _widened(box: list[float], k: float) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) * (k - 1) / 2, (y2 - y1) * (k - 1) / 2
    return x1 - dx, y1 - dy, x2 + dx, y2 + dy


FOCUS_SCORE = 0.05


def _still_taken(verifier_dir: Path, scenes: list[np.ndarray], hard: dict) -> dict:
    """The hard negatives the verifier being fine-tuned still scores ≥ ``FOCUS_SCORE``."""
    from service.inference.devices import Compute
    from service.inference.engines import make_engine
    from service.inference.model_files import read_config
    from service.inference.plate_check import PlateVerifier

    verifier = PlateVerifier(make_engine(Compute("cpu", "onnx", 1), verifier_dir), read_config(verifier_dir))
    out = {}
    for i, boxes in hard.items():
        scores = verifier.scores(scenes[i], [tuple(int(v) for v in b) for b in boxes])
        if kept := [b for b, s in zip(boxes, scores, strict=True) if s >= FOCUS_SCORE]:
            out[i] = kept
    return out


def widened(state: dict, model: torch.nn.Module) -> dict:
    """``state`` fitted to ``model`` where a classifier gained views: the head's weights for the first
    view are the old ones, the others start at zero, so the wider model starts where the old one was."""
    target = model.state_dict()
    for name, value in state.items():
        want = target.get(name)
        if want is not None and value.ndim == 2 and want.shape[0] == value.shape[0] \
                and want.shape[1] > value.shape[1] and want.shape[1] % value.shape[1] == 0:
            grown = torch.zeros_like(want)
            grown[:, :value.shape[1]] = value
            state[name] = grown
    return state


BF16_FLAGS = ("avx512_bf16", "amx_bf16")
"""CPU features that compute bfloat16 natively; elsewhere torch emulates it, about 9× slower than float32
(a U-Net training step on an AVX2 CPU without them)."""


def bf16_is_fast(device: str, flags: frozenset[str] | None = None) -> bool:
    """Train under bf16 autocast? On CUDA, and on CPUs that compute bfloat16 natively."""
    from service.inference.precision import cpu_flags

    return device == "cuda" or bool(set(BF16_FLAGS) & (cpu_flags() if flags is None else flags))


FRESH_ALLOWED = ("segmentation_head.",)
"""The only tensors a fine-tuned model may start afresh: a new head. Anything else missing from
``--init`` means the wrong model was named, and training from it would silently start from scratch."""


def fitted(state: dict, model: torch.nn.Module, allowed: tuple[str, ...] = FRESH_ALLOWED
           ) -> tuple[dict, list[str]]:
    """``state`` without the tensors ``model`` lacks or holds in another shape (a finder whose decoder
    was cut short keeps its encoder and remaining blocks), and the names of the model's tensors that
    therefore keep their fresh initialisation (a new head)."""
    target = model.state_dict()
    kept = {k: v for k, v in state.items() if k in target and target[k].shape == v.shape}
    fresh = sorted(k for k in target if k not in kept)
    if wrong := [k for k in fresh if not k.startswith(allowed)]:
        raise ConfigurationError(f"--init does not fit this model: {len(wrong)} tensors beyond its head "
                                 f"are missing or shaped otherwise (first: {wrong[0]})")
    return kept, fresh


SAMPLERS = {"plates": _plate_sampler, "faces": _face_sampler, "plate-shapes": _plate_shape_sampler,
            "face-finder": _face_finder_sampler, "plate-verifier": _plate_verifier_sampler,
            "face-verifier": _face_verifier_sampler}


def to_tensor(batch: list[np.ndarray], device: str = "cpu") -> torch.Tensor:
    x = torch.from_numpy(np.stack(batch)).to(device).permute(0, 3, 1, 2).float() / 255.0
    mean = torch.tensor(MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=device).view(1, 3, 1, 1)
    return (x - mean) / std


def classification_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """BCE on one logit per crop; a missed plate (a leak) weighs twice a false alarm."""
    return F.binary_cross_entropy_with_logits(logits.reshape(target.shape), target,
                                              pos_weight=torch.tensor(2.0, device=logits.device))


def loss_fn(logits: torch.Tensor, target: torch.Tensor, pos_weight: float = 2.0) -> torch.Tensor:
    """BCE (positives weighted: a missed pixel is a leak) plus soft Dice."""
    bce = F.binary_cross_entropy_with_logits(logits, target,
                                             pos_weight=torch.tensor(pos_weight, device=logits.device))
    prob = torch.sigmoid(logits)
    inter = (prob * target).sum(dim=(1, 2, 3))
    denom = prob.sum(dim=(1, 2, 3)) + target.sum(dim=(1, 2, 3))
    dice = 1 - (2 * inter + 1) / (denom + 1)
    return bce + dice.mean()


def distillation_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``loss_fn`` against a teacher's probabilities, unweighted: the student is to fire where the teacher
    fires, false alarms included, so the verifier trained on the teacher's proposals fits its own."""
    return loss_fn(logits, target, pos_weight=1.0)


LOSSES = {"classifier": classification_loss}
"""Architecture → loss where it is not the segmentation loss."""


def draw_batch(sampler, rng: np.random.Generator, batch: int, pool=None) -> list:
    """``batch`` samples; with a thread pool, each drawn from its own child of ``rng`` (same seed, same
    batches whatever the pool's size)."""
    if pool is None:
        return [sampler.draw(rng) for _ in range(batch)]
    return list(pool.map(sampler.draw, rng.spawn(batch)))


def train(args: argparse.Namespace) -> Path:
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    size = args.size or ROLE_DEFAULTS[args.role]["size"]
    batch = args.batch or ROLE_DEFAULTS[args.role]["batch"]
    sampler, sources = SAMPLERS[args.role](args, Path(args.data), size)
    cfg = {
        "role": args.role,
        "architecture": ROLE_DEFAULTS[args.role].get("architecture", args.arch),
        "encoder": ENCODERS[args.encoder][0],
        "input_size": size,
        "threshold": 0.5,
        "mean": MEAN,
        "std": STD,
        **({"context": context} if (context := ROLE_DEFAULTS[args.role]["context"]) else {}),
        **({"contexts": list(cs)} if (cs := ROLE_DEFAULTS[args.role].get("contexts")) else {}),
        **({"work_size": ws} if (ws := ROLE_DEFAULTS[args.role].get("work_size")) else {}),
        **({"output_stride": args.output_stride} if args.output_stride > 1 else {}),
        **({"decoder_channels": [int(c) for c in args.decoder_channels.split(",")]}
           if args.decoder_channels else {}),
    }
    model = build_model(cfg)
    teacher = None
    if args.distill:
        from service.inference.model_files import load_torch_model

        teacher = load_torch_model(Path(args.distill))[0].eval().to(args.device)
        sources.append(f"targets: the probabilities of {args.distill} on each crop (distillation)")
    if args.init:
        from safetensors.torch import load_file

        allowed = FRESH_ALLOWED + (("decoder.",) if teacher is not None else ())
        state, fresh = fitted(widened(load_file(str(Path(args.init) / "model.safetensors")), model),
                              model, allowed)
        model.load_state_dict(state, strict=not fresh)
        previous = json.loads((Path(args.init) / "config.json").read_text(encoding="utf-8"))
        init = {"fine_tuned_from": str(args.init), "previous_training": previous.get("training"),
                **({"started_fresh": fresh} if fresh else {})}
    else:
        init = ENCODERS[args.encoder][1](model) if args.pretrained else None
    device = args.device
    torch.backends.cudnn.benchmark = device == "cuda"  # crops of one size: pick the fastest kernels once
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "checkpoint.pt"
    start = 0
    if ckpt.exists():
        state = torch.load(ckpt, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        start = state["step"]
        rng = state["rng"]
    warmup = 50
    half = bf16_is_fast(device)
    pool = ThreadPoolExecutor(args.workers) if args.workers > 1 else None
    t0 = time.time()
    running = 0.0
    criterion = distillation_loss if teacher is not None else LOSSES.get(cfg["architecture"], loss_fn)
    model.train()
    for step in range(start, args.steps):
        lr = args.lr * min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * step / args.steps))
        for group in opt.param_groups:
            group["lr"] = lr
        samples = draw_batch(sampler, rng, batch, pool)
        x = to_tensor([s.image for s in samples], device)
        if teacher is not None:
            with torch.no_grad(), torch.autocast(device, dtype=torch.bfloat16, enabled=half):
                y = torch.sigmoid(teacher(x).float())
        else:
            y = torch.from_numpy(np.stack([s.mask for s in samples])).to(device).float().unsqueeze(1)
        with torch.autocast(device, dtype=torch.bfloat16, enabled=half):
            logits = model(x)
        loss = criterion(logits.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        running = 0.98 * running + 0.02 * loss.item() if step > start else loss.item()
        if args.budget_seconds and step + 1 == start + 100:
            t100 = time.time()
        if args.budget_seconds and step + 1 == start + 200:
            # fit the schedule into the time budget, at the speed of steps 100-200 (past warm-up: the
            # first GPU steps pick kernels and run several times slower)
            per_step = (time.time() - t100) / 100
            left = args.budget_seconds - (time.time() - t0)
            args.steps = min(args.steps, step + 1 + int(left / per_step))
        if (step + 1) % 50 == 0:
            print(f"step {step + 1}/{args.steps} loss {running:.4f} lr {lr:.2e} "
                  f"{(time.time() - t0) / (step + 1 - start):.2f}s/step", flush=True)
        if (step + 1) % args.checkpoint_every == 0 or step + 1 == args.steps:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step + 1,
                        "rng": rng}, ckpt)
        if step + 1 == args.steps:  # a time budget may have shortened the schedule
            break
    cfg["training"] = {
        "command": "veil train " + " ".join(args.argv),
        "steps": args.steps, "batch": batch, "crop": size, "lr": args.lr, "seed": args.seed,
        "data": sources, "encoder_init": init, "final_loss": round(running, 4),
        "precision": "bf16 autocast" if half else "float32",
        "wall_seconds_last_leg": round(time.time() - t0),
    }
    model.eval().cpu()
    save_model_dir(model, cfg, out)
    ckpt.unlink(missing_ok=True)
    (out / "mined.json").unlink(missing_ok=True)
    print(json.dumps(cfg["training"], indent=2))
    return out


def main(argv: list[str] | None = None) -> None:
    import sys

    from service.training.arguments import add_arguments

    p = argparse.ArgumentParser(prog="veil train")
    add_arguments(p)
    argv = sys.argv[1:] if argv is None else argv
    args = p.parse_args(argv)
    args.argv = argv
    train(args)


if __name__ == "__main__":
    main()
