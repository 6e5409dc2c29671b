"""Scoring of daily partitions against their own recent history (no Dagster here).

Each partition is compared with the partitions of its trailing training window
(``training_window_days`` calendar days, held partitions left out) on the
features of :mod:`orders_core.anomaly_features`.

Every feature is first put on one scale, a **robust z-score** against the
training window: ``(value - median) / scale`` with scale = 1.4826 x MAD,
floored by the feature's ``min_scale``. Two detectors then vote, and either
one is enough to flag:

* **IsolationForest** (scikit-learn) catches unusual *combinations* of
  moderate deviations. It is fitted on the training window described by one
  number per family of features (volume, basket, nulls, cleaning, schema,
  cost): the largest ``|z|`` in the family. With a few dozen training rows the
  trees are only about six splits deep, and on twenty-odd raw features the
  forest barely sees any single one of them (in simulation eight features all
  beyond their training range scored 0.60 while ordinary days reached 0.61);
  on six family deviations three families at 4 sigma score about 0.67 while
  ordinary days stay under 0.63. The score is ``-score_samples``, the anomaly
  score of the original paper: in (0, 1], about 0.5 for an ordinary partition,
  higher is more anomalous. It is compared with an explicit ``threshold``
  rather than through ``contamination``, which would force a fixed share of a
  mostly clean history to count as anomalous.
* A **z-score guard** flags any single feature with ``|z| >= z_guard``. An
  isolation score saturates once a point leaves the training range, so a
  single huge deviation (x5 volume, amounts in cents, a schema change) scores
  little more than a moderate one; the guard makes sure it is always flagged.

The drivers explaining a verdict are the features with the largest ``|z|``,
each with its value, its baseline (training median), its z and its
``contribution``: the drop in forest score when that feature alone is reset to
its baseline. Missing features are imputed with the baseline, so absence of a
metadata key never flags a partition. With fewer than ``min_history`` training
partitions nothing is decided and the verdict says so.

Training windows end on fixed anchors every ``refit_every_days`` days, so
scoring a backlog costs one fit per anchor, and a partition gets the same
verdict whether it is scored alone or in a batch. Everything is deterministic (fixed random_state)
and writes nothing to disk.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from orders_core.anomaly_features import build_features, feature_specs

if TYPE_CHECKING:
    from sklearn.ensemble import IsolationForest

__all__ = [
    "AnomalyConfig",
    "AnomalyVerdict",
    "Driver",
    "build_features",
    "score_partitions",
]

MAD_TO_SIGMA = 1.4826
_EPOCH = pd.Timestamp("1970-01-05")  # a Monday, so weekly anchors fall on Mondays
_SPECS = {spec.name: spec for spec in feature_specs()}


@dataclass(frozen=True)
class AnomalyConfig:
    """Tuning of :func:`score_partitions`; defaults suit daily order partitions."""

    threshold: float = 0.65
    z_guard: float = 8.0
    training_window_days: int = 56
    min_history: int = 28
    refit_every_days: int = 7
    n_estimators: int = 100
    random_state: int = 0
    max_drivers: int = 5
    driver_min_z: float = 3.0


@dataclass(frozen=True)
class Driver:
    """One feature that moved: its value, its baseline and how much it mattered."""

    feature: str
    description: str
    value: float
    baseline: float
    z: float
    contribution: float

    def describe(self) -> str:
        return (
            f"{self.feature} = {self.value:.4g} vs baseline {self.baseline:.4g} "
            f"(z {self.z:+.1f}, forest score -{self.contribution:.3f} if reset)"
        )


@dataclass(frozen=True)
class AnomalyVerdict:
    """The decision on one partition.

    ``status`` is ``anomalous``, ``normal`` or ``insufficient_history`` (then
    ``is_anomalous`` is False and ``score`` is None: nothing was decided).
    """

    partition: str
    status: str
    score: float | None
    threshold: float
    max_abs_z: float | None
    z_guard: float
    training_partitions: int
    reason: str
    drivers: tuple[Driver, ...] = field(default=())

    @property
    def is_anomalous(self) -> bool:
        return self.status == "anomalous"

    @property
    def decided(self) -> bool:
        return self.status != "insufficient_history"

    def as_dict(self) -> dict:
        """JSON-ready form, for metadata, cursors and alerts."""
        return {**asdict(self), "is_anomalous": self.is_anomalous}


@dataclass
class _Model:
    columns: list[str]
    baseline: np.ndarray
    scale: np.ndarray
    families: list[np.ndarray]
    forest: IsolationForest

    def z(self, values: np.ndarray) -> np.ndarray:
        """Robust z-scores of rows of feature values, missing values at baseline."""
        return (np.where(np.isnan(values), self.baseline, values) - self.baseline) / self.scale

    def score(self, z: np.ndarray) -> np.ndarray:
        """Forest anomaly score in (0, 1] of rows of z-scores."""
        deviation = np.column_stack([np.abs(z[:, f]).max(axis=1) for f in self.families])
        return -self.forest.score_samples(deviation)


def _anchor(partition: pd.Timestamp, every_days: int) -> pd.Timestamp:
    days = (partition - _EPOCH).days
    return _EPOCH + pd.Timedelta(days=days - days % every_days)


def _fit(train: pd.DataFrame, config: AnomalyConfig) -> _Model:
    columns = [c for c in train.columns if train[c].notna().any()]
    values = train[columns].to_numpy(dtype=float)
    baseline = np.nanmedian(values, axis=0)
    mad = np.nanmedian(np.abs(values - baseline), axis=0)
    floors = np.array([_SPECS[c].min_scale for c in columns])
    groups = [_SPECS[c].group for c in columns]
    families = [np.flatnonzero(np.array(groups) == g) for g in dict.fromkeys(groups)]
    # Imported when a model is fitted: scikit-learn costs about two seconds to import,
    # which every code location load and every run's step process would otherwise pay.
    from sklearn.ensemble import IsolationForest

    forest = IsolationForest(n_estimators=config.n_estimators, random_state=config.random_state)
    model = _Model(columns, baseline, np.maximum(MAD_TO_SIGMA * mad, floors), families, forest)
    deviation = np.column_stack([np.abs(model.z(values)[:, f]).max(axis=1) for f in families])
    forest.fit(deviation)
    return model


def _probe_scores(model: _Model, z: np.ndarray) -> np.ndarray:
    """Forest scores of each row of ``z`` (column 0) and of it with feature j reset (j + 1)."""
    n, d = z.shape
    probes = np.repeat(z[:, None, :], d + 1, axis=1)
    probes[:, np.arange(1, d + 1), np.arange(d)] = 0.0
    return model.score(probes.reshape(n * (d + 1), d)).reshape(n, d + 1)


def _verdict(
    partition: pd.Timestamp,
    z: np.ndarray,
    scores: np.ndarray,
    model: _Model,
    n_train: int,
    config: AnomalyConfig,
) -> AnomalyVerdict:
    score, contribution = float(scores[0]), scores[0] - scores[1:]
    value = model.baseline + z * model.scale

    order = np.argsort(-np.abs(z), kind="stable")
    strong = [i for i in order[: config.max_drivers] if abs(z[i]) >= config.driver_min_z]
    drivers = tuple(
        Driver(
            feature=model.columns[i],
            description=_SPECS[model.columns[i]].description,
            value=float(value[i]),
            baseline=float(model.baseline[i]),
            z=float(z[i]),
            contribution=float(contribution[i]),
        )
        for i in (strong or order[:3])
    )
    max_z = float(np.abs(z).max())
    by_forest, by_guard = score >= config.threshold, max_z >= config.z_guard
    if by_forest or by_guard:
        why = []
        if by_forest:
            why.append(f"anomaly score {score:.3f} >= threshold {config.threshold:.3f}")
        if by_guard:
            why.append(f"|z| {max_z:.1f} >= guard {config.z_guard:.1f}")
        head, status = "anomalous: " + " and ".join(why), "anomalous"
    else:
        head = (
            f"normal: anomaly score {score:.3f} < threshold {config.threshold:.3f}, "
            f"max |z| {max_z:.1f} < guard {config.z_guard:.1f}"
        )
        status = "normal"
    head += f" (trained on {n_train} partitions)"
    return AnomalyVerdict(
        partition=partition.date().isoformat(),
        status=status,
        score=score,
        threshold=config.threshold,
        max_abs_z=max_z,
        z_guard=config.z_guard,
        training_partitions=n_train,
        reason="; ".join([head, *(d.describe() for d in drivers)]),
        drivers=drivers,
    )


def score_partitions(
    features: pd.DataFrame,
    partitions: Iterable,
    config: AnomalyConfig | None = None,
    held: Collection = (),
) -> list[AnomalyVerdict]:
    """Score ``partitions`` (dates or ``YYYY-MM-DD`` keys) against their history.

    ``features`` is the output of :func:`build_features` and must cover each
    partition and its training window. Partitions in ``held``, and those found
    anomalous earlier in this call, are left out of every training set.
    Verdicts come back in chronological order.
    """
    config = config or AnomalyConfig()
    excluded = set(pd.DatetimeIndex(pd.to_datetime(list(held))).normalize())
    targets = sorted(set(pd.DatetimeIndex(pd.to_datetime(list(partitions))).normalize()))
    window = pd.Timedelta(days=config.training_window_days)
    missing = [p.date().isoformat() for p in targets if p not in features.index]
    if missing:
        raise KeyError(f"no features for partitions {missing}")
    verdicts: list[AnomalyVerdict] = []
    # Partitions sharing an anchor share a training set: one fit, one scoring call.
    for end, group in itertools.groupby(targets, lambda p: _anchor(p, config.refit_every_days)):
        group = list(group)
        train = features.loc[(features.index >= end - window) & (features.index < end)]
        train = train[~train.index.isin(list(excluded))]
        if len(train) < config.min_history:
            verdicts += [_insufficient(p, len(train), config) for p in group]
            continue
        model = _fit(train, config)
        z = model.z(features.loc[group, model.columns].to_numpy(dtype=float))
        for partition, z_row, scores in zip(group, z, _probe_scores(model, z), strict=True):
            verdict = _verdict(partition, z_row, scores, model, len(train), config)
            if verdict.is_anomalous:
                excluded.add(partition)
            verdicts.append(verdict)
    return verdicts


def _insufficient(partition: pd.Timestamp, n_train: int, config: AnomalyConfig) -> AnomalyVerdict:
    return AnomalyVerdict(
        partition=partition.date().isoformat(),
        status="insufficient_history",
        score=None,
        threshold=config.threshold,
        max_abs_z=None,
        z_guard=config.z_guard,
        training_partitions=n_train,
        reason=(
            f"insufficient history: {n_train} of {config.min_history} partitions "
            f"in the {config.training_window_days}-day training window; nothing decided"
        ),
    )
