"""Per-partition features for anomaly scoring, built from materialization metadata.

Input is one row per daily partition holding the numeric metadata that
``raw_orders`` and ``cleaned_orders`` attach to each materialization, flattened
to columns named ``"<asset>:<metadata key>"`` (see :func:`history_record`).
Keys a given run did not emit are simply absent or NaN: every feature tolerates
them and the scorer imputes them with the baseline, so they never raise a flag.

Only the data decides: no feature reads wall-clock time. ``orders/duration_s``
(how long the load took, which moves with machine load) is kept in the metadata
for people to read and is never scored.

Features are chosen so that one number moves per kind of failure:

* volume (rows, revenue, distinct customers, bytes, files) is the log ratio of
  the day to its **expected level**: the median of the previous
  ``TRAILING_LEVEL_DAYS`` days (a robust local level that follows growth, decay
  and yearly seasons within days) plus the day's weekday offset, the mean (highest
  and lowest left out; the median of three or fewer) over the previous
  ``WEEKDAY_LOOKBACK_WEEKS`` same weekdays
  of how far each stood from its own trailing level. A normal Saturday peak is 0
  in a growing or a shrinking business alike, while a day at x5 is log(5) = 1.6;
* amounts (mean order value, median amount) are log levels, so amounts sent in
  cents show up as +log(100) whatever the day;
* revenue, mean order value and median amount are read from the profile's
  ``orders/scaled_*`` figures (each amount divided by its currency's order of magnitude:
  :func:`orders_core.profiling.unit_divisors`), so orders in a currency of small units
  (1,500,000 IDR, about 90 USD) or a day with more JPY orders than usual are not a jump
  of x1000 in amounts. A day recorded before those figures existed (no such key in its
  metadata) is read from its nominal ``orders/revenue``, ``orders/mean_order_value`` and
  ``orders/median_amount``: the same numbers for a day whose orders were all in
  currencies without a bound of their own (USD, EUR, GBP, ...), larger ones for a day
  with orders in JPY, IDR, .... :func:`orders_core.anomaly.judge_partitions` judges a day
  whose history window holds such a day on the nominal figures throughout
  (:func:`scaled_amounts_ready`), never scaled against nominal;
* data quality is expressed as rates in [0, 1] of the landed rows (nulls, duplicates,
  unparseable amounts, parse errors; never the cleaning's own shares, see
  :func:`feature_specs`), plus counts of extra and missing columns;
* size is expressed per row (bytes per row).

Each feature also says how its sampling noise shrinks with the day's counts
(:attr:`FeatureSpec.noise`), so that the scorer can judge a day of 20 orders by
the noise 20 orders have; the counts travel as two ``context`` columns, the
day's rows and its expected rows, which are not scored themselves.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orders_core import tables
from orders_core.contract import load_contract

RAW = tables.RAW_ORDERS.path
CLEANED = tables.CLEANED_ORDERS.path
PARTITION = "partition"
# Weeks of same-weekday offsets behind a volume baseline; a partition's baselines read
# at most 7 x WEEKDAY_LOOKBACK_WEEKS + TRAILING_LEVEL_DAYS days before it.
WEEKDAY_LOOKBACK_WEEKS = 8
TRAILING_LEVEL_DAYS = 7
# Days of those that must have landed files for the level to exist.
MIN_TRAILING_DAYS = 4
CONTEXT = "context"
ROWS = "rows"
EXPECTED_ROWS = "expected_rows"
# Files raw_orders read for the day. A day with none (no landing folder, or nothing
# readable in it) is no history for other days: whether someone ran it (a range run
# over a gap) or not (days run one by one around it) must not change their verdicts.
FILES_LANDED = "files_landed"


@dataclass(frozen=True)
class FeatureSpec:
    """How to read one feature: what it means and the smallest deviation that matters.

    ``min_scale`` floors the robust spread used for z-scores, so a feature that
    never moved in the baseline (extra columns, a null rate of exactly 0) does
    not turn a negligible change into an infinite z-score. ``group`` is the
    family of failures the feature belongs to (volume, basket, nulls,
    cleaning, schema, size); features of the ``context`` group are the counts
    the noise models read, never scored.

    ``noise`` is how the feature's sampling noise depends on the day's counts:

    * ``count``: log of a count, Poisson-like: ``phi / sqrt(1 + expected rows)``;
    * ``mean``: log of an average over the day's rows: ``phi / sqrt(rows)``;
    * ``rate``: share of the day's rows, binomial: ``sqrt(p (1 - p) rows) / rows``
      at the baseline rate ``p``, never below one row's worth (``1 / rows``);
    * empty: no count behind it (files, schema), only ``min_scale`` and the spread.

    ``gross`` is the size of a deviation that is gross whatever the noise (x4
    volume, x3 amounts, 10 points of a share, one column): a gross deviation needs
    less statistical evidence to hold a day than a small one (see the scorer).
    """

    name: str
    description: str
    min_scale: float
    group: str
    noise: str = ""
    gross: float = math.inf


def metadata_column(asset: str, key: str) -> str:
    """Column name of one asset's metadata key in the history frame."""
    return f"{asset}:{key}"


# The figures a day without rows has: what landed (files, bytes, rows, and so revenue).
# Every other figure of raw_orders describes the day's rows; a day without rows records it
# as 0 (so a plot has no gap, see orders_core.profiling.profile_from_row) and, recorded
# before that, not at all: the features read it as missing either way (the scorer imputes
# it with the baseline), so the same history judges the same whenever it was recorded.
DAY_TOTALS = frozenset(
    {
        "dagster/row_count",
        "orders/files",
        "orders/bytes",
        "orders/revenue",
        "orders/scaled_revenue",
    }
)


def history_record(
    raw: Mapping[str, object], cleaned: Mapping[str, object] | None = None
) -> dict[str, float]:
    """Flatten the numeric metadata of one partition's ``raw_orders`` and ``cleaned_orders``.

    Non-numeric entries (fingerprints, notes, schemas) are left out.
    """
    record: dict[str, float] = {}
    for asset, metadata in ((RAW, raw), (CLEANED, cleaned or {})):
        for key, value in metadata.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                record[metadata_column(asset, key)] = float(value)
    return record


def _key_null_columns() -> tuple[str, ...]:
    return load_contract().required


X4 = math.log(4)  # a gross change of volume: x4 or /4
X3 = math.log(3)  # a gross change of amounts: x3 or /3
SHARE = 0.1  # a gross change of a share: 10 points


def feature_specs() -> tuple[FeatureSpec, ...]:
    """The engineered features, in the column order :func:`build_features` returns."""
    volume = [
        FeatureSpec(
            f"{name}_vs_weekday", f"log {what} vs expected level", 0.05, "volume", "count", X4
        )
        for name, what in (
            ("rows", "row count"),
            ("revenue", "revenue (amounts scaled per currency)"),
            ("customers", "distinct customers"),
            ("bytes", "bytes landed"),
        )
    ]
    nulls = [
        FeatureSpec(f"null_rate_{c}", f"share of rows with null {c}", 0.01, "nulls", "rate", SHARE)
        for c in _key_null_columns()
    ]
    cleaning = [
        FeatureSpec(name, description, 0.01, "cleaning", "rate", SHARE)
        for name, description in (
            ("duplicate_rate", "share of duplicate order ids"),
            ("unparseable_amount_rate", "share of unparseable amounts"),
            ("parse_error_rate", "parse errors per row"),
            # Not the cleaning's own shares (quarantined, superseded, revenue kept): the
            # check judges a day before it is cleaned, so the judged day never has them,
            # and which training days had them depended on how days were batched (a
            # range run re-loads its days, whose cleaning metadata then describes an
            # older load): the verdict must be a function of the landed days alone.
        )
    ]
    return (
        *volume,
        # one file more or less among two or three is routine
        FeatureSpec("files_vs_weekday", "log 1 + files landed vs expected level", 0.3, "volume"),
        FeatureSpec(
            "log_mean_order_value", "log mean scaled order value", 0.05, "basket", "mean", X3
        ),
        FeatureSpec("log_median_amount", "log median scaled amount", 0.05, "basket", "mean", X3),
        FeatureSpec(
            "customers_per_row", "distinct customers / rows", 0.02, "basket", "rate", 2 * SHARE
        ),
        FeatureSpec(
            "null_rate_max", "highest null rate of a required column", 0.01, "nulls", "rate", SHARE
        ),
        *nulls,
        *cleaning,
        # A column appearing or disappearing is a change of contract: one is decisive.
        FeatureSpec("extra_columns", "columns not in the contract", 0.1, "schema", "", 1.0),
        FeatureSpec("missing_columns", "contract columns absent", 0.1, "schema", "", 1.0),
        FeatureSpec(
            "log_bytes_per_row",
            "log bytes per row (one per file)",
            0.05,
            "size",
            "mean",
            math.log(2),
        ),
        FeatureSpec(ROWS, "rows landed (sets the noise of rates and means)", 1.0, CONTEXT),
        FeatureSpec(EXPECTED_ROWS, "expected rows (sets the noise of counts)", 1.0, CONTEXT),
        FeatureSpec(FILES_LANDED, "files landed (none: no history for other days)", 1.0, CONTEXT),
    )


def _partition_index(history: pd.DataFrame) -> pd.DataFrame:
    frame = history.set_index(PARTITION) if PARTITION in history.columns else history
    frame = frame.copy()
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index)).normalize()
    frame.index.name = PARTITION
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    return frame.apply(pd.to_numeric, errors="coerce").astype(float)


def _trimmed_mean(values: np.ndarray) -> float:
    """Mean without the highest and lowest value; the median of three or fewer.

    Either way one anomalous week (not yet held, e.g. earlier in the same range run)
    moves it little.
    """
    present = np.sort(values[~np.isnan(values)])
    if present.size < 4:
        return float(np.median(present)) if present.size else np.nan
    return float(present[1:-1].mean())


def _expected_level(levels: pd.DataFrame, held: Collection) -> pd.DataFrame:
    """Expected log level of each day from the days before it (see module docstring).

    Computed on the calendar (missing days are gaps, not neighbours; the trailing
    level needs 4 of its days). The trailing level reads every earlier day, held
    ones included: a median of
    ``TRAILING_LEVEL_DAYS`` days shrugs off one anomalous day, and a lasting change
    of level (a cohort that stops acquiring, a lost channel) is absorbed within half
    that many days instead of holding every day after it. Weekday offsets leave held
    days out, so a held anomaly does not become the next week's normal.
    """
    if levels.empty:
        return levels
    calendar = levels.asfreq("D")
    trailing = (
        calendar.shift(1).rolling(TRAILING_LEVEL_DAYS, min_periods=MIN_TRAILING_DAYS).median()
    )
    held_index = pd.DatetimeIndex(pd.to_datetime(list(held))).normalize()
    offsets = (calendar - trailing).loc[~calendar.index.isin(held_index)].reindex(calendar.index)
    weekday = offsets.groupby(calendar.index.dayofweek).transform(
        lambda s: (
            s.shift(1).rolling(WEEKDAY_LOOKBACK_WEEKS, min_periods=1).apply(_trimmed_mean, raw=True)
        )
    )
    return (trailing + weekday).reindex(levels.index)


# The profile's figures of amounts that the features read scaled per currency
# (``orders/scaled_<name>``), or nominal (``orders/<name>``) for history recorded before.
SCALED_AMOUNTS = ("revenue", "mean_order_value", "median_amount")


def nominal_amounts(history: pd.DataFrame) -> pd.DataFrame:
    """``history`` without its scaled figures: every day's features read the nominal ones."""
    columns = [metadata_column(RAW, f"orders/scaled_{name}") for name in SCALED_AMOUNTS]
    return history.drop(columns=columns, errors="ignore")


def scaled_amounts_ready(
    history: pd.DataFrame, partitions: Collection, lookback_days: int
) -> set[pd.Timestamp]:
    """Of ``partitions``, those whose every landed day from ``lookback_days`` before it to
    itself has the scaled figures: judged on them. The others have, in that window, a day
    recorded before the figures existed, and are judged on the nominal ones throughout, so
    a day is never compared in scaled amounts with a baseline in nominal ones (a history in
    JPY, IDR, ... would be higher). The choice reads only that window, which every run
    judging the day reads whole, and leaves out days with no landed file (see
    :data:`FILES_LANDED`): the same whatever the batching."""
    targets = pd.DatetimeIndex(pd.to_datetime(list(partitions))).normalize()
    if history.empty:
        return set(targets)
    frame = _partition_index(history)
    scaled = frame.get(metadata_column(RAW, "orders/scaled_revenue"))
    if scaled is None:
        scaled = pd.Series(np.nan, index=frame.index)
    files = frame.get(metadata_column(RAW, "orders/files"))
    landed = files.ne(0) if files is not None else pd.Series(True, index=frame.index)
    lacking = frame.index[scaled.isna() & landed]
    span = pd.Timedelta(days=lookback_days)
    return {p for p in targets if not ((lacking >= p - span) & (lacking <= p)).any()}


def nothing_landed(history: pd.DataFrame) -> set[str]:
    """The partitions (``YYYY-MM-DD``) of ``history`` whose raw_orders read no landed file:
    no history for other days (see :data:`FILES_LANDED`)."""
    column = metadata_column(RAW, "orders/files")
    if history.empty or column not in history.columns:
        return set()
    frame = _partition_index(history)
    return {day.date().isoformat() for day in frame.index[frame[column] == 0]}


def build_features(history: pd.DataFrame, held: Collection = ()) -> pd.DataFrame:
    """Engineer anomaly features, one row per partition.

    ``history`` is indexed by partition date (or has a ``partition`` column)
    with ``"<asset>:<key>"`` metadata columns; later duplicates of a partition
    win. ``held`` partitions are kept out of the weekday offsets, so a held
    anomaly does not become the next week's normal. Returns a float frame
    indexed by partition date with the columns of :func:`feature_specs`.
    """
    frame = _partition_index(history)

    missing = pd.Series(np.nan, index=frame.index)
    had_rows = frame.get(metadata_column(RAW, "dagster/row_count"), missing) > 0

    def raw(key: str) -> pd.Series:
        series = frame.get(metadata_column(RAW, key), missing)
        return series if key in DAY_TOTALS else series.where(had_rows)

    def amounts(key: str) -> pd.Series:
        """The day's scaled figure, its nominal one for a day recorded without it."""
        return raw(f"orders/scaled_{key}").fillna(raw(f"orders/{key}"))

    rows = raw("dagster/row_count")
    per_row = rows.where(rows > 0)
    raw_revenue = amounts("revenue")
    files = raw("orders/files")
    volume = pd.DataFrame(
        {
            "rows": rows,
            "revenue": raw_revenue.clip(lower=0),
            "customers": raw("orders/distinct_customers"),
            "bytes": raw("orders/bytes"),
            "files": files,
        }
    ).pipe(np.log1p)
    # Days with no landed file are gaps in the baselines of the days after them; each
    # is still compared with the level the days before it set.
    expected = _expected_level(volume.mask(files == 0, axis=0), held)
    seasonal = (volume - expected).add_suffix("_vs_weekday")

    features = pd.DataFrame(
        {
            "log_mean_order_value": np.log1p(amounts("mean_order_value").clip(lower=0)),
            "log_median_amount": np.log1p(amounts("median_amount").clip(lower=0)),
            "customers_per_row": raw("orders/distinct_customers") / per_row,
            "null_rate_max": raw("orders/null_rate_max"),
            **{
                f"null_rate_{column}": raw(f"orders/null_rate/{column}")
                for column in _key_null_columns()
            },
            "duplicate_rate": raw("orders/duplicate_rate"),
            "unparseable_amount_rate": raw("orders/unparseable_amount_rate"),
            "parse_error_rate": raw("orders/parse_errors") / per_row,
            "extra_columns": raw("orders/extra_columns"),
            "missing_columns": raw("orders/missing_columns"),
            # a header is about a row's worth of bytes: count one per file, so that a
            # small day's bytes per row is not inflated by its files' headers
            "log_bytes_per_row": np.log(
                raw("orders/bytes") / (rows + raw("orders/files").fillna(0)).where(rows > 0)
            ),
            ROWS: rows,
            EXPECTED_ROWS: np.expm1(expected["rows"]) if "rows" in expected else np.nan,
            FILES_LANDED: files,
        },
        index=frame.index,
    )
    result = pd.concat([seasonal, features], axis=1)
    return result[[spec.name for spec in feature_specs()]].replace([np.inf, -np.inf], np.nan)
