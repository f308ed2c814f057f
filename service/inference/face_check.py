"""The face verifier: a face the face finder alone proposes must look like a face to it.

CenterFace's faces are not asked: it was trained on millions of faces and rarely takes text for one. The
finder's, which recover masked and small faces CenterFace misses, also fire on letters, logos and print
on documents; the face crop model, asked whether it sees a face there, too often agrees.
"""

from __future__ import annotations

import numpy as np

from service.inference.crop_check import CropVerifier


class FaceVerifier(CropVerifier):
    def confirmed(self, rgb: np.ndarray, rows: np.ndarray, ask: np.ndarray) -> np.ndarray:
        """Per proposal row (box + score): False where it is one to ``ask`` and scores under the
        threshold."""
        keep = np.ones(len(rows), bool)
        idx = np.nonzero(ask)[0]
        if len(idx):
            scores = self.scores(rgb, [tuple(float(v) for v in rows[i, :4]) for i in idx])
            keep[idx] = scores >= self.threshold
        return keep
