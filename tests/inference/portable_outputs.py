"""Writes every committed int8 model's output for one fixed input to an .npz (argv[1]).

Run natively and under ``qemu-x86_64 -cpu Haswell`` (AVX2, no AVX-512, no VNNI) by
``test_portability.py``: the two files must agree. Imports only numpy and ONNX Runtime.
"""

import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

MODELS = Path(__file__).resolve().parents[2] / "models"


def main(out: str) -> None:
    rng = np.random.default_rng(0)
    results = {}
    for path in sorted(MODELS.glob("*/*.int8.onnx")):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.log_severity_level = 3
        session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        face_detector = path.parent.name == "face-detector"
        # CenterFace takes pixels in 0–255; our models take standardised pixels
        x = (rng.uniform(0, 255, (1, 3, 96, 128)) if face_detector
             else rng.normal(0, 1.2, (1, 3, 96, 128))).astype(np.float32)
        results[path.parent.name] = session.run(None, {session.get_inputs()[0].name: x})[0]
    np.savez(out, **results)


if __name__ == "__main__":
    main(sys.argv[1])
