"""Scoring of daily partitions against their own recent history (no Dagster here).

Each partition is compared with the partitions of its trailing training window
(``training_window_days`` calendar days, held partitions left out) on the
features of :mod:`orders_core.anomaly_features`. Only the data decides: no feature
reads wall-clock time, and the same history gives the same verdicts anywhere.

**Count-aware z-scores.** A day of 20 orders is noisier than a day of 20,000, so
each feature's deviation from its baseline (the training median) is read against
the sampling noise of the day's own counts (``FeatureSpec.noise``):

* counts (rows, customers, bytes, revenue vs their expected level): the signed
  Poisson deviance of the day's count against its expected count, profiled over a
  log-normal error of that expectation whose variance ``tau2`` is what the window's
  spread leaves over once its Poisson noise is taken out (the level is estimated,
  and real days vary more than Poisson);
* shares (null, duplicate, quarantine rates, ...): the signed binomial deviance at
  the window's pooled rate, never expecting fewer than ``MIN_EXPECTED_EVENTS`` rows,
  so 2 of 40 after a clean month is noise while 12 of 40 is not;
* means over the day's rows (amounts, bytes per row): ``shift x sqrt(rows)`` over
  their dispersion measured on the window.

The feature's ``min_scale`` caps that reading (a smaller change never reaches
|z| 1). Features with no count behind them (files, schema) are read against
``max(min_scale, robust sd)`` of the window; the robust sd is the larger of
1.4826 x MAD and the 90th percentile of |deviation| / 1.645, so heavy tails count.

**Decision.** Three votes, any one holds the day:

* the **z guard**: some feature at ``|z| >= z_guard`` (6): improbable whatever its
  size;
* a **gross deviation**: some feature at least its ``FeatureSpec.gross`` away from
  baseline (x4 or /4 volume, x3 or /3 amounts, 10 points of a share, one column)
  with ``|z| >= gross_z`` (3.5): large enough to matter and beyond the day's noise
  (a 20-order day falling to 2 is both; a quiet day at half its level is neither);
* **IsolationForest** (scikit-learn) for unusual *combinations* of moderate
  deviations, fitted on the training window described by one number per family
  of features (volume, basket, nulls, cleaning, schema, size): the largest ``|z|``
  in the family. Its score is ``-score_samples``, the anomaly score of the original
  paper, in (0, 1], about 0.5 for an ordinary partition; it is compared with an
  explicit ``threshold`` (0.75), above the highest score of the normal days of the
  test histories (0.73), rather than through ``contamination``, which would force
  a fixed share of a mostly clean history to count as anomalous. An isolation score
  saturates once a point leaves the training range, which is why the single-feature
  votes exist.

The drivers explaining a verdict are the features with the largest ``|z|``,
each with its value, its baseline (training median), its z and its
``contribution``: the drop in forest score when that feature alone is reset to
its baseline. Missing features are imputed with the baseline, so absence of a
metadata key never flags a partition; a feature is scored once the window holds
``MIN_FEATURE_HISTORY`` values of it. With fewer than ``min_history`` training
partitions nothing is decided and the verdict says so.

Training windows end on fixed anchors every ``refit_every_days`` days, so
scoring a backlog costs one fit per anchor, and a partition gets the same
verdict whether it is scored alone or in a batch. Everything is deterministic
(fixed random_state) and writes nothing to disk.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from orders_core.anomaly_features import (
    CONTEXT,
    EXPECTED_ROWS,
    FILES_LANDED,
    ROWS,
    WEEKDAY_LOOKBACK_WEEKS,
    build_features,
    feature_specs,
    nominal_amounts,
    nothing_landed,
    scaled_amounts_ready,
)

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
MIN_EXPECTED_EVENTS = 0.25
MIN_FEATURE_HISTORY = 7
_EPOCH = pd.Timestamp("1970-01-05")  # a Monday, so weekly anchors fall on Mondays
_SPECS = {spec.name: spec for spec in feature_specs()}
_SCORED = [name for name, spec in _SPECS.items() if spec.group != CONTEXT]


@dataclass(frozen=True)
class AnomalyConfig:
    """Tuning of :func:`score_partitions`; defaults suit daily order partitions."""

    threshold: float = 0.75
    z_guard: float = 6.0
    training_window_days: int = 56
    min_history: int = 14
    refit_every_days: int = 7
    n_estimators: int = 100
    random_state: int = 0
    max_drivers: int = 5
    driver_min_z: float = 3.0
    gross_z: float = 3.5


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
        change = round(-self.contribution, 3) + 0.0  # + 0.0: no "-0.000" for a tiny drop
        return (
            f"{self.feature} = {self.value:.4g} vs baseline {self.baseline:.4g} "
            f"(z {self.z:+.1f}, forest score {change:+.3f} if reset)"
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


def _poisson_deviance(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Signed Poisson deviance residual: about N(0, 1) for a count, even a small one."""
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(observed > 0, observed * np.log(observed / expected), 0.0)
        deviance = np.sqrt(np.maximum(2 * (term - (observed - expected)), 0.0))
    return np.sign(observed - expected) * deviance


def _lognormal_poisson_deviance(
    observed: np.ndarray, expected: np.ndarray, tau2: np.ndarray
) -> np.ndarray:
    """Signed deviance of a count whose expected value is itself uncertain.

    The expected count may be off by a log-normal factor ``exp(e)``, ``e ~ N(0, tau2)``
    (the error of the estimated level, and real day-to-day variation). The deviance is
    profiled over ``e``: ``min_e D(observed, expected * exp(e)) + e**2 / tau2``, found by
    Newton steps on its convex derivative. ``tau2 = 0`` is the plain Poisson deviance.
    """
    tau2 = np.broadcast_to(tau2, np.broadcast_shapes(np.shape(observed), np.shape(tau2)))
    shift = np.zeros(tau2.shape)
    mixed = tau2 > 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        precision = np.where(mixed, 1 / tau2, 0.0)
        for _ in range(40):
            mean = expected * np.exp(shift)
            step = (mean - observed + shift * precision) / (mean + precision)
            shift = np.where(mixed & np.isfinite(step), shift - step, shift)
        deviance = _poisson_deviance(observed, expected * np.exp(shift)) ** 2
        total = np.sqrt(deviance + np.where(mixed, shift**2 * precision, 0.0))
    return np.sign(observed - expected) * total


def _robust_sd(deviations: np.ndarray) -> np.ndarray:
    """Column-wise spread of deviations from a baseline, robust but tail-aware.

    The larger of 1.4826 x the median absolute deviation and the 90th percentile of
    the absolute deviations over 1.645: both are sigma for normal noise, the second
    sees heavy tails (a mean of skewed order values) that the first ignores.
    """
    absolute = np.abs(deviations)
    mad = MAD_TO_SIGMA * _nanmedian(absolute)
    present = ~np.isnan(absolute)
    tail = np.full(absolute.shape[1], np.nan)
    for j in np.flatnonzero(present.any(axis=0)):
        tail[j] = np.quantile(absolute[present[:, j], j], 0.9) / 1.645
    return np.fmax(mad, tail)


def _binomial_deviance(share: np.ndarray, p: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Signed binomial deviance residual of ``share`` of ``n`` rows against rate ``p``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.clip(share, 0.0, 1.0)
        hit = np.where(q > 0, q * np.log(q / p), 0.0)
        miss = np.where(q < 1, (1 - q) * np.log((1 - q) / (1 - p)), 0.0)
        deviance = np.sqrt(np.maximum(2 * n * (hit + miss), 0.0))
    return np.sign(q - p) * deviance


@dataclass
class _Model:
    """Baselines and noise of the scored features over one training window.

    A feature with a noise model is read against the sampling noise the day's counts
    imply: a Poisson deviance whose expected count may be off by a log-normal error of
    variance ``tau2``, a binomial deviance at the window's pooled rate, or a mean of
    ``rows`` values, divided by the dispersion ``phi``; all measured on the training
    window, so small days are judged by the noise small counts have and large days by
    what the history shows. ``min_scale`` caps that reading (a deviation smaller
    than ``min_scale`` never reaches |z| 1). Features without a count behind them, or
    a day without counts, are read against ``max(min_scale, robust sd)``.
    """

    columns: list[str]
    baseline: np.ndarray
    floor: np.ndarray  # FeatureSpec.min_scale of each column
    spread: np.ndarray  # max(min_scale, robust sd): the scale where no noise model applies
    noise: np.ndarray  # the FeatureSpec.noise of each column
    rate: np.ndarray  # reference rate of "rate" features: pooled over the window
    tau2: np.ndarray  # log-scale variance of "count" features beyond Poisson noise
    gross: np.ndarray  # FeatureSpec.gross of each column
    phi: np.ndarray  # dispersion of the noise reading (means: their whole unit noise)
    families: list[np.ndarray]
    forest: IsolationForest | None = None

    def deviance(self, values: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Deviation in units of sampling noise before ``phi`` (NaN where no count applies)."""
        rows = np.where(counts[:, :1] > 0, counts[:, :1], np.nan)
        expected = 1 + np.maximum(counts[:, 1:], 0.0)
        shift = values - self.baseline
        with np.errstate(over="ignore", invalid="ignore"):
            count = _lognormal_poisson_deviance(expected * np.exp(shift), expected, self.tau2)
            mean = shift * np.sqrt(rows)
            # Never expect fewer than MIN_EXPECTED_EVENTS rows on either side of a share:
            # one or two events on a small day are not evidence of anything.
            floor = np.minimum(MIN_EXPECTED_EVENTS / rows, 0.5)
            rate = _binomial_deviance(values, np.clip(self.rate, floor, 1 - floor), rows)
        return np.select(
            [self.noise == "count", self.noise == "mean", self.noise == "rate"],
            [count, mean, rate],
            np.nan,
        )

    def z(self, values: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Robust, count-aware z-scores of rows of feature values, missing values at baseline."""
        filled = np.where(np.isnan(values), self.baseline, values)
        shift = filled - self.baseline
        by_noise = np.abs(self.deviance(filled, counts)) / self.phi
        by_floor = np.sign(shift) * np.fmin(np.abs(shift) / self.floor, by_noise)
        return np.where(np.isnan(by_noise), shift / self.spread, by_floor)

    def deviations(self, z: np.ndarray) -> np.ndarray:
        """The forest's input: the largest |z| of each family of features."""
        return np.column_stack([np.abs(z[:, f]).max(axis=1) for f in self.families])

    def score(self, z: np.ndarray) -> np.ndarray:
        """Forest anomaly score in (0, 1] of rows of z-scores."""
        return -self.forest.score_samples(self.deviations(z))


def _anchor(partition: pd.Timestamp, every_days: int) -> pd.Timestamp:
    days = (partition - _EPOCH).days
    return _EPOCH + pd.Timedelta(days=days - days % every_days)


def _counts(features: pd.DataFrame) -> np.ndarray:
    """(rows, expected rows) of each partition: what the noise of its features depends on."""
    return features.reindex(columns=[ROWS, EXPECTED_ROWS]).to_numpy(dtype=float)


def _nanmedian(values: np.ndarray) -> np.ndarray:
    """Column medians ignoring NaN; NaN (not a warning) for an all-NaN column."""
    present = ~np.isnan(values)
    out = np.full(values.shape[1], np.nan)
    for j in np.flatnonzero(present.any(axis=0)):
        out[j] = np.median(values[present[:, j], j])
    return out


def _fit(train: pd.DataFrame, config: AnomalyConfig) -> _Model:
    # A feature is scored once the window holds enough of it to have a baseline.
    least = max(MIN_FEATURE_HISTORY, config.min_history // 2)
    columns = [c for c in _SCORED if c in train.columns and train[c].notna().sum() >= least]
    values = train[columns].to_numpy(dtype=float)
    counts = _counts(train)
    baseline = _nanmedian(values)
    floors = np.array([_SPECS[c].min_scale for c in columns])
    sd = _robust_sd(values - baseline)
    spread = np.fmax(sd, floors)
    noise = np.array([_SPECS[c].noise for c in columns])
    # Log-scale variance of counts beyond Poisson: what the window's spread leaves over
    # once the Poisson noise of its own days (1 / expected) is taken out.
    poisson = _nanmedian(1 / (1 + np.maximum(counts[:, 1:], 0.0)))[0] if len(counts) else 0.0
    tau2 = np.where(noise == "count", np.fmax(sd**2 - poisson, 0.0), 0.0)
    # Reference rate of a share: pooled over the window's rows, as a median of daily
    # shares is 0 when most small days have no event.
    rows = np.where(counts[:, :1] > 0, counts[:, :1], np.nan)
    present = ~np.isnan(values) & ~np.isnan(rows)
    events = np.where(present, np.clip(values, 0, 1) * rows, 0.0).sum(axis=0)
    rate = (events + 0.5) / (np.where(present, rows, 0.0).sum(axis=0) + 1)
    groups = [_SPECS[c].group for c in columns]
    families = [np.flatnonzero(np.array(groups) == g) for g in dict.fromkeys(groups)]
    gross = np.array([_SPECS[c].gross for c in columns])
    model = _Model(
        columns, baseline, floors, spread, noise, rate, tau2, gross, np.ones(len(columns)), families
    )
    # Dispersion of the noise reading, measured on the window. A mean of rows has no
    # natural unit noise, so its own is measured outright. Shares are binomial (1) or
    # more dispersed, which deviances can only show where a day expects a few events
    # (with fewer, their spread is that of a discrete count, not of noise). Counts:
    # 1, their excess is tau2.
    measured = _robust_sd(model.deviance(values, counts))
    events = _nanmedian(rate * rows)
    model.phi = np.select(
        [noise == "mean", (noise == "rate") & (events >= 5)],
        [measured, np.fmax(measured, 1.0)],
        1.0,
    )
    model.phi = np.where(model.phi > 0, model.phi, np.nan)  # no noise reading without it
    # Imported when a model is fitted: scikit-learn costs about two seconds to import,
    # which every code location load and every run's step process would otherwise pay.
    from sklearn.ensemble import IsolationForest

    model.forest = IsolationForest(
        n_estimators=config.n_estimators, random_state=config.random_state
    )
    model.forest.fit(model.deviations(model.z(values, counts)))
    return model


def _probe_scores(model: _Model, z: np.ndarray) -> np.ndarray:
    """Forest scores of each row of ``z`` (column 0) and of it with feature j reset (j + 1)."""
    n, d = z.shape
    probes = np.repeat(z[:, None, :], d + 1, axis=1)
    probes[:, np.arange(1, d + 1), np.arange(d)] = 0.0
    return model.score(probes.reshape(n * (d + 1), d)).reshape(n, d + 1)


def _verdict(
    partition: pd.Timestamp,
    values: np.ndarray,
    z: np.ndarray,
    scores: np.ndarray,
    model: _Model,
    n_train: int,
    config: AnomalyConfig,
) -> AnomalyVerdict:
    score, contribution = float(scores[0]), scores[0] - scores[1:]
    value = np.where(np.isnan(values), model.baseline, values)

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
    gross = np.abs(value - model.baseline) >= model.gross
    gross_z = float(np.abs(z)[gross].max()) if gross.any() else 0.0
    by_forest, by_guard = score >= config.threshold, max_z >= config.z_guard
    by_gross = gross_z >= config.gross_z
    if by_forest or by_guard or by_gross:
        why = []
        if by_forest:
            why.append(f"anomaly score {score:.3f} >= threshold {config.threshold:.3f}")
        if by_guard:
            why.append(f"|z| {max_z:.1f} >= guard {config.z_guard:.1f}")
        if by_gross:
            why.append(f"gross deviation at |z| {gross_z:.1f} >= {config.gross_z:.1f}")
        head, status = "anomalous: " + " and ".join(why), "anomalous"
    else:
        head = (
            f"normal: anomaly score {score:.3f} < threshold {config.threshold:.3f}, "
            f"max |z| {max_z:.1f} < guard {config.z_guard:.1f}"
        )
        if gross.any():
            head += f", gross deviations at |z| {gross_z:.1f} < {config.gross_z:.1f}"
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
    until_held: bool = False,
) -> list[AnomalyVerdict]:
    """Score ``partitions`` (dates or ``YYYY-MM-DD`` keys) against their history.

    ``features`` is the output of :func:`build_features` and must cover each
    partition and its training window. Partitions in ``held``, those found
    anomalous earlier in this call and those with no landed file are left out of
    every training set.
    Verdicts come back in chronological order; with ``until_held``, those up to the
    first anomalous one only (the later ones are not scored).
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
        if FILES_LANDED in train:  # a day with no landed file is no history
            train = train[train[FILES_LANDED] != 0]
        if len(train) < config.min_history:
            verdicts += [_insufficient(p, len(train), config) for p in group]
            continue
        model = _fit(train, config)
        values = features.loc[group, model.columns].to_numpy(dtype=float)
        z = model.z(values, _counts(features.loc[group]))
        scored = zip(group, values, z, _probe_scores(model, z), strict=True)
        for partition, value_row, z_row, scores in scored:
            verdict = _verdict(partition, value_row, z_row, scores, model, len(train), config)
            no_file = _nothing_landed(features, partition)
            if no_file and verdict.status == "normal":
                verdict = _no_file_held(verdict)
            verdicts.append(verdict)
            if verdict.is_anomalous and not no_file:
                if until_held:
                    return verdicts
                excluded.add(partition)
    return verdicts


def _nothing_landed(features: pd.DataFrame, partition: pd.Timestamp) -> bool:
    return FILES_LANDED in features and features.at[partition, FILES_LANDED] == 0


# A decided day with no landed file is never normal. While the days before it give its
# volume a trailing level, its drivers read as a drop to no orders and hold it; from a
# gap's fifth day on they do not (the level needs 4 of the 7 days before it to have
# landed files), its volume features are missing and imputed at the baseline, and the
# forest alone would call it normal: a feed that stopped for a week would publish its
# later days empty, with a passing check. A day without a file is no history for other
# days either (left out of every training set and every level), so holding it changes no
# other day's verdict: a scoring pass goes on past it.
NO_FILE_HELD = (
    "anomalous: no file landed for this day, and too few of the days before it landed"
    " files to judge a drop in volume against; held until its files land or it is released"
)


def _no_file_held(verdict: AnomalyVerdict) -> AnomalyVerdict:
    return replace(
        verdict,
        status="anomalous",
        reason=f"{NO_FILE_HELD} (the forest alone: {verdict.reason.removeprefix('normal: ')})",
    )


def judge_partitions(
    history: pd.DataFrame,
    partitions: Iterable,
    config: AnomalyConfig | None = None,
    held: Collection = (),
) -> list[AnomalyVerdict]:
    """:func:`score_partitions` over :func:`build_features` of ``history``, in date order,
    with each day held in this call kept out of the later days' baselines as a day held
    by an earlier run is: the verdicts do not depend on how days are batched into runs
    (one range run, day by day, or anything between).

    Each pass scores the pending days up to the first one it holds, and the next pass
    starts after it: a pass that scored every pending day threw the days after the hold
    away, so a call over N days with a hold every few weeks fitted a model per week N
    times over (180 days profiled from their files: 47 fits, now 26,
    bench/RESULTS.md, session 35)."""
    held_days = {pd.Timestamp(day).date().isoformat() for day in held}
    pending = sorted({pd.Timestamp(p).normalize() for p in partitions})
    # Amounts scaled per currency, or nominal for a day whose window holds history
    # recorded before the scaled figures (see anomaly_features.scaled_amounts_ready).
    lookback = history_lookback_days(config or AnomalyConfig())
    scaled = scaled_amounts_ready(history, pending, lookback)
    no_file = nothing_landed(history)
    verdicts: list[AnomalyVerdict] = []
    while pending:
        # Each group stops at its own first hold; the days up to the earlier of them are
        # scored in both, which is all the pass keeps.
        scored: list[AnomalyVerdict] = []
        for ready in (True, False):
            if days := [p for p in pending if (p in scaled) is ready]:
                frame = history if ready else nominal_amounts(history)
                features = build_features(frame, held=sorted(held_days))
                scored += score_partitions(
                    features, days, config, held=sorted(held_days), until_held=True
                )
        scored.sort(key=lambda v: v.partition)
        # A day with no landed file held changes no other day's baseline (see
        # _no_file_held): the pass goes on past it.
        first_held = next(
            (v for v in scored if v.is_anomalous and v.partition not in no_file), None
        )
        if first_held is None:
            return verdicts + scored
        # Days up to the hold are decided; the later ones are scored again on baselines
        # without it (the verdicts before it cannot change: baselines look back only).
        verdicts += [v for v in scored if v.partition <= first_held.partition]
        held_days.add(first_held.partition)
        pending = [p for p in pending if p.date().isoformat() > first_held.partition]
    return verdicts


def history_lookback_days(config: AnomalyConfig) -> int:
    """Days before a day whose raw_orders metadata its verdict reads."""
    return config.training_window_days + 7 * WEEKDAY_LOOKBACK_WEEKS


def may_be_decided(partition: str, present: Iterable[str], config: AnomalyConfig) -> bool:
    """Whether ``partition`` can be scored with the days ``present`` as its history: its
    training window holds at least ``min_history`` of them (held days only take some
    away). A day that cannot is "insufficient history" (a pass) whatever they hold."""
    end = _anchor(pd.Timestamp(partition).normalize(), config.refit_every_days)
    start = (end - pd.Timedelta(days=config.training_window_days)).date().isoformat()
    end_key = end.date().isoformat()
    return sum(start <= day < end_key for day in present) >= config.min_history


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
