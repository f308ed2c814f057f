import numpy as np
from onnx import TensorProto, helper, numpy_helper

from service.training.quantize import shape_arithmetic


def test_only_the_arithmetic_that_computes_pads_is_kept_out_of_quantization():
    # conv → (its size / 2, rounded up, as float arithmetic, like timm's TF-"same" padding) → pads
    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    two = numpy_helper.from_array(np.float32([2.0]), "two")
    zeros = numpy_helper.from_array(np.zeros(6, np.int64), "zeros")
    idx = numpy_helper.from_array(np.int64([3]), "idx")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
        helper.make_node("Shape", ["c"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "idx"], ["g"], name="gather"),
        helper.make_node("Cast", ["g"], ["gf"], to=TensorProto.FLOAT, name="to_float"),
        helper.make_node("Div", ["gf", "two"], ["half"], name="div"),
        helper.make_node("Ceil", ["half"], ["up"], name="ceil"),
        helper.make_node("Cast", ["up"], ["ui"], to=TensorProto.INT64, name="to_int"),
        helper.make_node("Concat", ["zeros", "ui"], ["pads"], axis=0, name="pads"),
        helper.make_node("Pad", ["c", "pads"], ["p"], name="pad"),
        helper.make_node("Relu", ["p"], ["y"], name="relu"),
    ]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w, two, zeros, idx])
    excluded = set(shape_arithmetic(helper.make_model(graph)))
    assert excluded == {"shape", "gather", "to_float", "div", "ceil", "to_int", "pads"}
