import copy

import pytest
import torch
from torch import nn

from service.inference.architectures import build_model
from service.inference.torch_cuda import fold_batchnorm
from tests.conftest import tiny_config


def _trained_looking(model: nn.Module) -> nn.Module:
    """Random BatchNorm statistics and affine terms, so folding has something to fold."""
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.5)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.2)
    return model.eval()


@pytest.mark.parametrize("arch", ["unet", "deeplabv3plus"])
def test_folding_batchnorm_into_the_convolutions_keeps_the_output(arch):
    model = _trained_looking(build_model(tiny_config("plates", arch)))
    folded = copy.deepcopy(model)
    count = fold_batchnorm(folded)
    x = torch.randn(2, 3, 96, 128, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref, out = model(x), folded(x)
    assert count > 20
    plain = sum(type(m) is nn.BatchNorm2d for m in folded.modules())
    assert plain < sum(type(m) is nn.BatchNorm2d for m in model.modules()) - 20
    assert torch.allclose(out, ref, atol=1e-4 * ref.abs().max().item())


def test_folding_leaves_a_norm_that_does_not_follow_a_convolution():
    seq = nn.Sequential(nn.ReLU(), nn.BatchNorm2d(3), nn.Conv2d(3, 4, 3), nn.BatchNorm2d(5)).eval()
    assert fold_batchnorm(seq) == 0  # the 5-channel norm does not match the 4-channel conv either
    assert [type(m) for m in seq] == [nn.ReLU, nn.BatchNorm2d, nn.Conv2d, nn.BatchNorm2d]
