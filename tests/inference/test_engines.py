import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from service.errors import ModelError
from service.inference.devices import Compute
from service.inference.engines import CPU_MAX_BATCH, OnnxEngine, normalise


def _two_output_graph() -> bytes:
    """y = 2x and, per image, its channel sums (a second output with the batch first)."""
    two = numpy_helper.from_array(np.float32([2.0]), "two")
    axes = numpy_helper.from_array(np.int64([1]), "axes")
    nodes = [helper.make_node("Mul", ["x", "two"], ["y"]),
             helper.make_node("ReduceSum", ["x", "axes"], ["s"], keepdims=0)]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("s", TensorProto.FLOAT, None)], [two, axes])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


class _Counting:
    """The engine's session, recording each run's batch size."""

    def __init__(self, session) -> None:
        self.session, self.sizes = session, []

    def run(self, names, feed):
        self.sizes.append(len(next(iter(feed.values()))))
        return self.session.run(names, feed)


def test_a_large_batch_runs_in_chunks_and_comes_back_whole_in_order():
    engine = OnnxEngine(_two_output_graph(), Compute("cpu", "onnx", threads=1))
    engine.session = counting = _Counting(engine.session)
    n = 2 * CPU_MAX_BATCH + 1
    x = np.random.default_rng(0).normal(size=(n, 3, 4, 4)).astype(np.float32)

    y, s = engine.run_all(x)

    assert counting.sizes == [CPU_MAX_BATCH, CPU_MAX_BATCH, 1]
    np.testing.assert_allclose(y, 2 * x, rtol=1e-6)
    np.testing.assert_allclose(s, x.sum(axis=1), rtol=1e-5, atol=1e-5)


def test_a_small_batch_runs_once_and_a_bad_one_fails_as_a_model_error():
    engine = OnnxEngine(_two_output_graph(), Compute("cpu", "onnx", threads=1))
    engine.session = counting = _Counting(engine.session)
    assert engine.run(np.ones((CPU_MAX_BATCH, 3, 4, 4), np.float32)).shape == (CPU_MAX_BATCH, 3, 4, 4)
    assert counting.sizes == [CPU_MAX_BATCH]
    with pytest.raises(ModelError):
        engine.run(np.ones((CPU_MAX_BATCH + 2, 3, 5, 4), np.float32))


def test_normalise_scales_standardises_and_lays_out_channels_first():
    images = np.random.default_rng(0).integers(0, 256, (2, 5, 7, 3), dtype=np.uint8)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    out = normalise(images, mean, std)
    expected = ((images / 255.0 - np.asarray(mean)) / np.asarray(std)).transpose(0, 3, 1, 2)
    assert out.dtype == np.float32 and out.shape == (2, 3, 5, 7) and out.flags.c_contiguous
    np.testing.assert_allclose(out, expected, atol=1e-5)
