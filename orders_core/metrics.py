"""Customer metrics and the CLV holdout summary as SQL, run inside the warehouse engine.

Each statement is written once, in DuckDB's dialect (run as is locally), and binds
every value with ``?``. Snowflake receives it through sqlglot's transpiler
(``resources.snowflake_warehouse.snowflake_sql``); tests/prod/test_metrics_sql.py
runs every ``*_SQL`` statement here on both engines and compares the results.
"""

from __future__ import annotations

from collections.abc import Sequence

from orders_core.clv import GAMMA_GAMMA_SAMPLE
from orders_core.contract import load_contract
from orders_core.sql.dialect import sql_literal
from orders_core.sql.facts import current_orders_sql, kept_versions
from orders_core.sql.fx import day_rates_sql
from orders_core.sql.money import MONEY_SUM_TYPE, money_sum
from orders_core.sql.purchases import purchase_condition


def current_orders(withheld: int = 0) -> str:
    """One row per order across landing days (the rule of fct_orders): an order that
    landed on two days counts once, as its newest version. Only the columns the metrics
    read. ``withheld``: how many days (bound first) whose rows count not at all, as
    fct_orders leaves them out: days whose cleaning cleaned_orders' blocking checks have
    not passed (``orders_core.sql.facts.run_versions``)."""
    return current_orders_sql(
        kept_versions(withheld),
        columns=("customer_id", "order_date", "amount", "currency", "status"),
    )


def priced_purchases(withheld: int = 0) -> str:
    """Every purchase up to a bound as-of day (bind the ``withheld`` days, then that day):
    its customer, order date, currency and ``reporting_amount``, its amount in the
    reporting currency (the contract's ``fx``): as it is in that currency, else times its
    currency's rate of its order date or the latest earlier one at most
    ``fx.max_rate_age_days`` old (``orders_core.sql.fx.day_rates_sql``); NULL when there
    is no such rate. Converted per order, each product exact to the last bit of a double
    and summed as exact decimals (``orders_core.sql.money``)."""
    reporting = sql_literal(load_contract().fx.reporting_currency)
    return f"""
select
    current_orders.customer_id,
    current_orders.order_date,
    current_orders.currency,
    case when current_orders.currency = {reporting} then current_orders.amount
        else current_orders.amount * rates.rate end as reporting_amount
from ({current_orders(withheld)}) as current_orders
left join ({day_rates_sql()}) as rates
    on rates.currency = current_orders.currency and rates.rate_day = current_orders.order_date
where current_orders.order_date <= cast(? as date)
    and {purchase_condition(column="current_orders.status")}
"""  # noqa: S608 (composes constant statements, never data)


def unpriced_purchases_sql(withheld: int = 0) -> str:
    """Per currency and order day, the purchases up to the as-of day that have no rate
    (left out of customer_metrics): bind as :func:`priced_purchases`."""
    return f"""
select currency, order_date, count(*) as orders
from ({priced_purchases(withheld)}) as priced
where reporting_amount is null
group by currency, order_date
order by currency, order_date
"""  # noqa: S608 (composes constant statements, never data)


LATEST_DAY_SQL = "select max(partition_date) as latest_day from staging.cleaned_orders"

# Money is summed as exact decimals (orders_core.sql.money), never as doubles: the same
# orders gave total_revenue 2.6 or 2.5999999999999996 by the order the engine fed them in.
# The mean spend is divided as a double: a NUMBER divided in Snowflake is rounded to 12
# places, a DuckDB decimal divided is a double.


# Money is in the reporting currency (priced_purchases): a purchase without a rate yet is
# left out, as if not landed, and counted by unpriced_purchases_sql.
# Only purchases count (orders_core.sql.purchases): an order whose current version is
# cancelled or returned (the contract's status.not_purchase) is no purchase day and no
# revenue, and a customer whose every current order is such has no row here
# (customers_without_purchase in the asset's metadata, from
# orders_core.sql.customers.not_purchase_summary_sql).
# The current version decides, so an order placed on day 1 and cancelled on day 3 stops
# counting once day 3 is cleaned, whatever the batching.
# Definitions (time unit: days), as of day D:
#   frequency      = distinct purchase days - 1 (repeat purchase days)
#   recency_days   = last purchase day - first purchase day
#   tenure_days    = D - first purchase day
#   monetary_value = mean daily spend over the repeat purchase days (0 without repeats):
#                    all days' spend less the first day's, over the repeat days
# One row per customer, in no particular order (what analytics.customer_metrics holds:
# orders_core.sql.customers inserts it as it is).
def customer_metrics_select(withheld: int = 0) -> str:
    """The metrics as of a day, leaving out ``withheld`` days' rows: bind
    :func:`metrics_params`."""
    return f"""
with daily as (
    select
        customer_id,
        order_date,
        sum(cast(reporting_amount as {MONEY_SUM_TYPE})) as day_amount,
        count(*) as day_orders
    from ({priced_purchases(withheld)}) as priced
    where reporting_amount is not null
    group by customer_id, order_date
)
select
    customer_id,
    cast(sum(day_orders) as bigint) as order_count,
    cast(count(*) - 1 as bigint) as frequency,
    cast(max(order_date) - min(order_date) as bigint) as recency_days,
    cast(cast(? as date) - min(order_date) as bigint) as tenure_days,
    coalesce(
        cast(
            sum(cast(day_amount as {MONEY_SUM_TYPE}))
            - cast(arg_min(day_amount, order_date) as {MONEY_SUM_TYPE})
            as double
        ) / nullif(count(*) - 1, 0),
        0
    ) as monetary_value,
    {money_sum("day_amount")} as total_revenue,
    min(order_date) as first_order_date,
    max(order_date) as last_order_date,
    cast(? as date) as as_of_date
from daily
group by customer_id
"""  # noqa: S608 (composes constant statements, never data)


def metrics_params(as_of: str, withheld: Sequence[object] = ()) -> list[object]:
    """The values bound to :func:`customer_metrics_select` (of ``len(withheld)`` days)."""
    return [*withheld, as_of, as_of, as_of]


CUSTOMER_METRICS_SELECT = customer_metrics_select()
CUSTOMER_METRICS_SQL = CUSTOMER_METRICS_SELECT + "order by customer_id\n"

# What customer_clv fits on, read as a row per distinct value with its count
# (orders_core.clv.WEIGHT_COLUMN) rather than a row per customer, and sorted by value, so
# the fit sums in the same order, to the last digit, on every engine and whatever the
# customers are called:
# - the histories BG/NBD fits on and scores: few (at most one per frequency, recency and
#   tenure: days of history cubed, 2,249 for 2.35M customers over 30 days);
# - the spends Gamma-Gamma fits on: repeat customers with a positive spend, each with
#   their own mean, so about orders_core.clv.GAMMA_GAMMA_SAMPLE of them at most, drawn
#   by the MD5 of the customer id (the same customers on both engines, every run).
CLV_HISTORIES_SQL = """
select
    frequency,
    recency_days,
    tenure_days,
    cast(0 as double) as monetary_value,
    count(*) as customers
from analytics.customer_metrics
group by frequency, recency_days, tenure_days
order by frequency, recency_days, tenure_days
"""


# The spends: bind spend_sample_threshold(spend_customers). A customer is drawn when the
# MD5 of their id (lowercase hex on both engines) sorts below the threshold: a filter
# the engine streams (a top-N of the hashes held a million of them: 805 MiB at 6M
# repeat customers), drawing each customer with the same chance, the same ones every run
# (MD5 for a uniform draw both engines compute alike, not for secrecy).
CLV_SPENDS_SQL = """
select frequency, monetary_value, count(*) as customers
from analytics.customer_metrics
where frequency > 0 and monetary_value > 0 and md5(customer_id) < ?
group by frequency, monetary_value
order by frequency, monetary_value
"""
# The day customer_metrics is as of (NULL when it is empty) and the customers Gamma-Gamma
# could be fitted on (what CLV_SPENDS_SQL draws from). A count of CASE, not a filtered
# count: that transpiles to Snowflake's COUNT_IF, which is NULL over no row (0 in DuckDB),
# and customer_clv failed in production on an empty customer_metrics.
CLV_CUSTOMERS_SQL = """
select
    max(as_of_date) as as_of_date,
    count(case when frequency > 0 and monetary_value > 0 then 1 end) as spend_customers
from analytics.customer_metrics
"""


def spend_sample_threshold(spend_customers: int, sample: int = GAMMA_GAMMA_SAMPLE) -> str:
    """CLV_SPENDS_SQL's bound value: every customer when there are at most ``sample``
    ("g" sorts after every hex digit), else the 8-digit hex fraction sample / customers
    of the hash space (about ``sample`` customers drawn)."""
    if spend_customers <= sample:
        return "g"
    return f"{int(sample / spend_customers * 16**8):08x}"


# The first purchase day of all customers (where customer_clv's default holdout starts).
FIRST_ORDER_DAY_SQL = (
    "select min(first_order_date) as first_order_date from analytics.customer_metrics"
)


# Calibration/holdout summary for validating the CLV model, as of a cut day C and an
# as-of day D, a row per group of identical customers: the histories customer_metrics
# would give as of C (frequency, recency_days, tenure_days over the priced purchase days
# up to C; customers first seen after C are left out) and holdout_purchases = distinct
# purchase days in (C, D], priced or not, with holdout_days = D - C (purchases only, as
# above). One pass over the orders: a row per customer and purchase day, then a row per
# customer; no money is summed (the validation fits BG/NBD alone), and the current
# versions of the orders are found once. Computing the metrics as of C and the holdout
# apart, then joining them, found them twice and held every customer's money: 350 MiB
# of customer_clv's 990 MiB peak at 8M customers (bench/RESULTS.md, hunt 90).
def holdout_histories_sql(withheld: int = 0) -> str:
    """What customer_clv validates on (above), leaving out ``withheld`` days' rows as
    customer_metrics did. Bind :func:`holdout_summary_params`."""
    return f"""
with purchase_days as (
    select
        customer_id,
        case when order_date <= cast(? as date) and count(reporting_amount) > 0
            then order_date end as calibration_day,
        case when order_date > cast(? as date) then 1 else 0 end as holdout_day
    from ({priced_purchases(withheld)}) as priced
    group by customer_id, order_date
),
customers as (
    select
        count(calibration_day) as calibration_days,
        min(calibration_day) as first_day,
        max(calibration_day) as last_day,
        sum(holdout_day) as holdout_purchase_days
    from purchase_days
    group by customer_id
)
select
    cast(calibration_days - 1 as bigint) as frequency,
    cast(last_day - first_day as bigint) as recency_days,
    cast(cast(? as date) - first_day as bigint) as tenure_days,
    cast(0 as double) as monetary_value,
    cast(holdout_purchase_days as bigint) as holdout_purchases,
    cast(cast(? as date) - cast(? as date) as bigint) as holdout_days,
    count(*) as customers
from customers
where calibration_days > 0
group by 1, 2, 3, 4, 5, 6
order by frequency, recency_days, tenure_days, holdout_purchases
"""  # noqa: S608 (composes constant statements, never data)


HOLDOUT_HISTORIES_SQL = holdout_histories_sql()


def holdout_summary_params(cut: str, as_of: str, withheld: Sequence[object] = ()) -> list[object]:
    """The values bound to :func:`holdout_histories_sql`'s placeholders, in order (ISO
    days; ``withheld`` days before its read of the orders)."""
    return [cut, cut, *withheld, as_of, cut, as_of, cut]
