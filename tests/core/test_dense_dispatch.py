"""The AVX2 + FMA copy of the dense linear algebra and the baseline copy agree."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from hyperdial import _core

SCRIPT = """
import json, numpy as np
from hyperdial import _core
rng = np.random.default_rng(3)
kinds = [_core.DimKind(k) for k in (0, 1, 2, 0)]
matern = _core.KernelKind.matern52
x = rng.random((150, 4)); x[:, 2] = rng.integers(0, 3, 150)
y = np.sin(6 * x[:, 0]) + x[:, 1]
theta = np.array([-1.0, -0.5, 0.0, -1.2, 0.3, -6.0])
q = rng.random((70, 4)); q[:, 2] = rng.integers(0, 3, 70)
gp = _core.ExactGP(matern, kinds, theta, x, y, None, 1)
mean, var = gp.predict(q, 1)
value, grad, _ = _core.log_posterior(matern, kinds, x, y, theta, None, None, None, 1)
print(json.dumps({"avx2": _core.uses_avx2(), "mean": mean.tolist(), "var": var.tolist(),
                  "value": value, "grad": grad.tolist(),
                  "k": _core.kernel_matrix(matern, kinds, theta, x, q, None, None, 1).tolist()}))
"""


def _run(disable: bool) -> dict[str, object]:
    env = dict(os.environ, HYPERDIAL_DISABLE_AVX2="1" if disable else "0")
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, check=True, capture_output=True, text=True
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


@pytest.mark.skipif(not _core.uses_avx2(), reason="this CPU or build has no AVX2 + FMA copy")
def test_avx2_and_baseline_copies_agree() -> None:
    fast, base = _run(False), _run(True)
    assert fast["avx2"] is True and base["avx2"] is False
    for key in ("mean", "var", "grad", "k"):
        np.testing.assert_allclose(fast[key], base[key], rtol=1e-9, atol=1e-12)  # type: ignore[arg-type]
    assert fast["value"] == pytest.approx(base["value"], rel=1e-12)
