"""The served int8 models answer the same on a CPU without AVX-512 and VNNI as on this one.

The CPU without them is emulated by QEMU's user mode (``qemu-x86_64 -cpu Haswell``: AVX2, no AVX-512,
no VNNI), where ONNX Runtime takes its AVX2 u8×s8 kernels, whose 16-bit intermediate saturates for 8-bit
weights. CI installs qemu-user from Debian's packages.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import MODELS

SCRIPT = Path(__file__).with_name("portable_outputs.py")


def _run(tmp_path: Path, name: str, prefix: list[str]) -> dict[str, np.ndarray]:
    out = tmp_path / f"{name}.npz"
    subprocess.run([*prefix, sys.executable, str(SCRIPT), str(out)], check=True, timeout=900,
                   capture_output=True)
    with np.load(out) as z:
        return {k: z[k] for k in z.files}


def test_int8_models_answer_the_same_without_avx512_and_vnni(tmp_path):
    qemu = shutil.which("qemu-x86_64")
    if qemu is None:
        pytest.skip("qemu-user is not installed (CI installs it; apt-get install qemu-user)")
    assert list(MODELS.glob("*/*.int8.onnx")), "no int8 export is committed"
    native = _run(tmp_path, "native", [])
    haswell = _run(tmp_path, "haswell", [qemu, "-cpu", "Haswell"])
    assert set(native) == set(haswell)
    for name, a in native.items():
        scale = float(np.abs(a).max()) or 1.0
        assert np.abs(a - haswell[name]).max() <= 1e-4 * scale, name
