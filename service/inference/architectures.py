"""Registry of segmentation architectures (smp), built offline from a config dict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import segmentation_models_pytorch as smp
from segmentation_models_pytorch.base import SegmentationHead
from torch import nn

from service.errors import ConfigurationError


def _unet(cfg: dict[str, Any]) -> nn.Module:
    """smp U-Net; with ``output_stride`` s > 1 (a power of two) its last log2(s) decoder blocks are left
    out and the head's logits, made at 1/s of the input, are upsampled bilinearly to the input's size.

    The decoder's full-resolution blocks are much of a U-Net's time on a CPU. A full-frame finder only has
    to say where an object is (a shape model draws its outline after it); the face crop model (stride 2)
    draws a face filling half its 128² crop, whose outline 64² logits still hold. ``decoder_channels``
    gives one width per encoder stage used: four stop the encoder at 1/16, which drops its widest layers.
    """
    channels = tuple(cfg.get("decoder_channels", (128, 64, 32, 16, 16)))
    model = smp.Unet(
        encoder_name=cfg["encoder"],
        encoder_weights=None,
        encoder_depth=len(channels),
        decoder_channels=channels,
        in_channels=3,
        classes=1,
    )
    stride = int(cfg.get("output_stride", 1))
    if stride == 1:
        return model
    drop = stride.bit_length() - 1
    if stride != 1 << drop or not 0 < drop < len(channels):
        raise ConfigurationError(f"output_stride must be a power of two under {1 << len(channels)}, "
                                 f"not {stride}")
    model.decoder.blocks = nn.ModuleList(list(model.decoder.blocks)[:len(channels) - drop])
    model.segmentation_head = SegmentationHead(channels[-drop - 1], 1, kernel_size=3, upsampling=stride)
    return model


def _deeplabv3plus(cfg: dict[str, Any]) -> nn.Module:
    return smp.DeepLabV3Plus(
        encoder_name=cfg["encoder"],
        encoder_weights=None,
        decoder_channels=int(cfg.get("decoder_channels", 128)),
        in_channels=3,
        classes=1,
    )


class CropClassifier(nn.Module):
    """An smp encoder, global average pooling and one logit: is the crop what the role looks for?

    With ``views`` > 1 each input is a vertical strip of that many square views of one object (e.g. the
    object with a little context above the same object with much more): every view goes through the
    same encoder and the head sees their pooled features side by side. Built like the segmenters
    (``model.encoder`` takes the same offline ImageNet start) so one training loop, export and engine
    serve it; its output is (N, 1).
    """

    def __init__(self, encoder: str, views: int = 1) -> None:
        super().__init__()
        self.views = views
        self.encoder = smp.encoders.get_encoder(encoder, in_channels=3, depth=5, weights=None)
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(self.encoder.out_channels[-1] * views, 1))

    def forward(self, x):
        n, c, h, w = x.shape
        v = self.views
        if v > 1:  # (N, C, V·S, S) → (N·V, C, S, S): one batch of views through the encoder
            x = x.reshape(n, c, v, h // v, w).permute(0, 2, 1, 3, 4).reshape(n * v, c, h // v, w)
        features = self.encoder(x)[-1].mean(dim=(2, 3))
        return self.head(features.reshape(n, -1))


def _classifier(cfg: dict[str, Any]) -> nn.Module:
    return CropClassifier(cfg["encoder"], len(cfg.get("contexts") or [None]))


ARCHITECTURES: dict[str, Callable[[dict[str, Any]], nn.Module]] = {
    "unet": _unet,
    "deeplabv3plus": _deeplabv3plus,
    "classifier": _classifier,
}


def build_model(cfg: dict[str, Any]) -> nn.Module:
    """Build an untrained network for ``cfg['architecture']``; never touches the network."""
    name = cfg.get("architecture")
    if name not in ARCHITECTURES:
        raise ConfigurationError(
            f"unknown architecture {name!r}; valid: {', '.join(sorted(ARCHITECTURES))}"
        )
    return ARCHITECTURES[name](cfg)
