"""Every key hyperdial itself writes into a trial's ``system_attrs``, in one place.

System attributes are JSON values stored with the trial for samplers, pruners and the study
machinery (users have ``user_attrs``). Storages treat them as opaque; these are the keys the
library reads back, so a writer and its readers must agree on the spelling.

* ``"constraints"`` (:data:`CONSTRAINTS_KEY`): ``{constraint name: value}``; the trial is
  feasible when every value is <= 0. Written by ``Trial.set_constraint``.
* ``"fail_reason"`` (:data:`FAIL_REASON_KEY`): why hyperdial failed the trial, as text. Written
  by ``Study.optimize``, ``Study.tell`` and the ``RDBStorage`` heartbeat's reaper.
* ``"fixed_params"`` (:data:`FIXED_PARAMS_KEY`): ``{name: value}`` an enqueued trial's
  suggestions return. Written by ``Study.enqueue_trial`` and the heartbeat's retry.
* ``"failed_trial"`` (:data:`FAILED_TRIAL_KEY`): the number of the trial a retry re-runs.
  Written by the heartbeat's retry.
* ``"retry_history"`` (:data:`RETRY_HISTORY_KEY`): the numbers of every failed attempt of a
  retry chain, oldest first. Written by the heartbeat's retry.
* ``"grid_id"`` (:data:`GRID_ID_KEY`): the index of the grid point the trial evaluates, and
  ``"grid_fingerprint"`` (:data:`GRID_FINGERPRINT_KEY`): which grid that index refers to.
  Written by ``GridSampler.reserve``.
* ``"bohb:budget"`` (:data:`BOHB_BUDGET_KEY`): the budget (a step) BOHB fitted its model at,
  ``-1`` for the study's final values, None without a model; and ``"bohb:mode"``
  (:data:`BOHB_MODE_KEY`): how the parameters were chosen, ``"model"``, ``"random"`` or
  ``"startup"``. Written by ``BOHBSampler.before_trial``.
* ``"NSGAIISampler:generation"`` (:data:`NSGAII_GENERATION_KEY`) and
  ``"NSGAIIISampler:generation"`` (:data:`NSGAIII_GENERATION_KEY`): the generation a trial
  belongs to; Optuna's spelling, so that a study copied from Optuna goes on breeding. Written by
  the NSGA samplers' ``before_trial``. (Their parents are claims, ``"nsga2:parents:<g>"``.)

* ``"terminator:cv_scores"`` (:data:`CV_SCORES_KEY`): a trial's cross-validation scores, a list
  of floats. Written by ``hyperdial.terminator.report_cross_validation_scores``.
* ``"intermediate_vector:"`` (:data:`INTERMEDIATE_VECTOR_PREFIX`) followed by a step: the
  vector a multi-objective trial reported there, a list of floats. Written by
  ``Trial.report``; read by ``hyperdial.trial._intermediate.intermediate_vectors``.
* ``"artifacts:"`` (:data:`ARTIFACTS_PREFIX`) followed by an artifact's id: its metadata as a
  JSON string, on a trial or a *study*. Written by ``hyperdial.artifacts.upload_artifact``.

* ``"study:metric_names"`` (:data:`METRIC_NAMES_KEY`): a *study* system attribute, the names
  of the objectives in the order of the directions; Optuna's spelling, so that tools reading
  Optuna studies find them. Written by ``Study.set_metric_names``.

Keys that samplers ``claim`` once per study (``"qmc:seed"``, grid claims) are not system
attributes and live with their sampler.
"""

from __future__ import annotations

__all__ = [
    "ARTIFACTS_PREFIX",
    "BOHB_BUDGET_KEY",
    "BOHB_MODE_KEY",
    "CONSTRAINTS_KEY",
    "CV_SCORES_KEY",
    "FAILED_TRIAL_KEY",
    "FAIL_REASON_KEY",
    "FIXED_PARAMS_KEY",
    "GRID_FINGERPRINT_KEY",
    "GRID_ID_KEY",
    "INTERMEDIATE_VECTOR_PREFIX",
    "METRIC_NAMES_KEY",
    "NSGAIII_GENERATION_KEY",
    "NSGAII_GENERATION_KEY",
    "RETRY_HISTORY_KEY",
]

CONSTRAINTS_KEY = "constraints"
FAIL_REASON_KEY = "fail_reason"
FIXED_PARAMS_KEY = "fixed_params"
FAILED_TRIAL_KEY = "failed_trial"
RETRY_HISTORY_KEY = "retry_history"
GRID_ID_KEY = "grid_id"
GRID_FINGERPRINT_KEY = "grid_fingerprint"
BOHB_BUDGET_KEY = "bohb:budget"
BOHB_MODE_KEY = "bohb:mode"
NSGAII_GENERATION_KEY = "NSGAIISampler:generation"
NSGAIII_GENERATION_KEY = "NSGAIIISampler:generation"
METRIC_NAMES_KEY = "study:metric_names"
CV_SCORES_KEY = "terminator:cv_scores"
ARTIFACTS_PREFIX = "artifacts:"
INTERMEDIATE_VECTOR_PREFIX = "intermediate_vector:"
GP_FIT_KEY = "gp:fit"  # study system attr: GPSampler's last full fit (see its docstring)
