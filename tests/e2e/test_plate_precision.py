"""The committed models on images without plates: documents, screens and people come back untouched.

The rendered images use seeds neither training (below 1000) nor the negative suite (from 1 000 000) use.
"""

import numpy as np
import pytest

from service.core.masks import paint
from service.core.options import Options
from service.core.pipeline import final_objects
from service.core.still import redact_with_mask
from service.negatives import render
from tests.conftest import FIXTURES, fixture_faces
from tests.e2e.test_default_models import BACKENDS, far_from

SEEDS = range(2_000_000, 2_000_004)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["receipt", "letter", "invoice", "screenshot"])
def test_documents_and_screens_keep_their_text(default_models, backend, kind):
    opts = Options(backend=backend)  # faces and plates, as a DMS hook sends them
    masked = []
    for seed in SEEDS:
        rgb = render(kind, seed)
        masked.append(paint(final_objects(default_models, rgb, opts), rgb.shape[:2]).mean())
    # before the plate verifier: 11–45 % of such a page on average, up to 98 %
    assert max(masked) < 0.01 and np.mean(masked) < 0.0025, masked


@pytest.mark.parametrize("backend", BACKENDS)
def test_people_photos_get_no_plates(default_models, backend):
    """Faces and plates on: away from the faces the mask is no larger than with faces alone."""
    for name, boxes in fixture_faces().items():
        data = (FIXTURES / name).read_bytes()
        _, both = redact_with_mask(default_models, data, Options(backend=backend, mode="mask"), 1 << 26)
        _, faces = redact_with_mask(default_models, data, Options(backend=backend, classes=("faces",),
                                                                   mode="mask"), 1 << 26)
        far = far_from(boxes, both.shape, 40)
        assert both[far].mean() <= faces[far].mean() + 0.002, name
