"""The objective model: :class:`hyperdial.gp.GaussianProcess` with a settable incumbent and
copies conditioned on "lies" for pending points; the acquisition-search effort.

Kept apart from ``_sampler.py`` so that ``import hyperdial`` does not load ``hyperdial.gp``
(and the compiled core) until a GP sampler first fits a model.
"""

from __future__ import annotations

import copy

import numpy as np
from numpy.typing import NDArray

from hyperdial import _core
from hyperdial.gp import GaussianProcess

__all__ = ["Model", "search_options"]


#: Prior on each log lengthscale used by the sampler: normal with this mean and sd.
LENGTHSCALE_PRIOR = (-0.5, 1.0)
#: Prior on the log noise variance (standardised units) used by the sampler.
NOISE_PRIOR = (-8.0, 3.0)
#: Sd of the log noise prior when it is centred on the noise the trials' reported standard
#: errors imply (:meth:`Model.set_noise_prior`).
STDERR_PRIOR_SD = 1.0
#: Sobol' pool points per dimension of the acquisition search.
POOL_PER_DIM = 256


def search_options(d: int) -> _core.AcqOptimizeOptions:
    """The acquisition-search effort for ``d`` modelled dimensions: a Sobol' pool of
    ``POOL_PER_DIM * d`` points and ``2 + d`` L-BFGS starts, both capped at the core's defaults
    (low-dimensional studies do not need more); the rest as the core's defaults."""
    options = _core.AcqOptimizeOptions()
    options.n_pool = min(options.n_pool, POOL_PER_DIM * d)
    options.n_starts = min(options.n_starts, 2 + d)
    return options


class Model(GaussianProcess):
    """:class:`GaussianProcess` whose log-EI incumbent can be set (best *feasible* target),
    with the sampler's lengthscale and noise priors.

    The facade takes the incumbent to be the largest target in the model; with constraints
    it must be the best target among feasible trials. ``incumbent`` is in the caller's units
    of ``y``; None keeps the facade's rule.

    Lengthscale prior: ``log l ~ N(-0.5, 1)`` (``l`` around 0.6 of the unit cube's width)
    instead of the facade's dimension-scaled ``N(sqrt(2) + log(d) / 2, sqrt(3))`` (Hvarfner et
    al. 2024), whose median (``l = 8`` at ``d = 4``) made the sampler explore the corners of
    low-dimensional multimodal problems.

    Noise prior: ``log sigma^2 ~ N(-8, 3)`` (standardised units) instead of the facade's
    ``N(-4, 1)`` (BoTorch's, about 2% of the variance). Many tuning objectives are
    deterministic or nearly so; ``N(-4, 1)`` charges ~48 nats for the noise floor (1e-6) and
    keeps the model from resolving small differences near an optimum, while ``N(-8, 3)`` still
    puts 2% of the variance within two sd for noisy cross-validated scores. The price: with
    few points, noisy data may be fitted by interpolation. A noiseless objective can say so:
    ``deterministic_objective=True``.

    Both were chosen on the quality benchmark (``bench/gp_quality.py``); the figures are in
    docs/design/gp_sampler.md.
    """

    incumbent: float | None = None

    def __init__(
        self,
        dim_kinds: list[str],
        n_choices: list[int],
        *,
        fixed_noise: float | None,
        center: bool,
    ) -> None:
        super().__init__(dim_kinds, n_choices, fixed_noise=fixed_noise, center=center)
        d = self.n_dims
        self._prior_mean[:d] = LENGTHSCALE_PRIOR[0]
        self._prior_std[:d] = LENGTHSCALE_PRIOR[1]
        self._prior_mean[-1], self._prior_std[-1] = NOISE_PRIOR

    def set_noise_prior(self, log_noise: float | None) -> None:
        """Centres the prior on the log noise variance (standardised units) on ``log_noise``
        with sd ``STDERR_PRIOR_SD``, clipped to the noise bounds; None restores
        ``NOISE_PRIOR``. Takes effect at the next fit."""
        # New arrays: copies of this model (pending points) share the old ones.
        self._prior_mean, self._prior_std = self._prior_mean.copy(), self._prior_std.copy()
        if log_noise is None:
            self._prior_mean[-1], self._prior_std[-1] = NOISE_PRIOR
            return
        mean = min(max(log_noise, float(self._lower[-1])), float(self._upper[-1]))
        self._prior_mean[-1], self._prior_std[-1] = mean, STDERR_PRIOR_SD

    def _best(self) -> float:
        if self.incumbent is None:
            return super()._best()
        return float(self._standardise(np.array([self.incumbent], dtype=np.float64))[0])

    def with_lies(
        self, x: NDArray[np.float64], y: NDArray[np.float64], with_mask: bool, n_threads: int
    ) -> Model:
        """A copy conditioned on observations ``y`` at the rows of ``x`` (constant liar),
        with the same hyperparameters and standardisation; ``self`` is unchanged."""
        twin = copy.copy(self)  # its own core model and lock (GaussianProcess.__copy__)
        ones = np.ones(x.shape[1]) if with_mask else None
        for xi, yi in zip(x, y, strict=True):
            twin.append(xi, float(yi), ones, n_threads=n_threads)
        return twin
