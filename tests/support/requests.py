"""Reading the run requests of the sensors: which days a request runs, what it selects."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from sensors.batching import RANGE_END_TAG, RANGE_START_TAG, RUN_KEY_TAG, SENSOR_NAME_TAG


def requested_days(request: dg.RunRequest) -> list[str]:
    """The partitions a request runs: its partition, every day of its range, or none."""
    if request.partition_key:
        return [request.partition_key]
    first, last = request.tags.get(RANGE_START_TAG), request.tags.get(RANGE_END_TAG)
    if not first or not last:
        return []
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [(start + dt.timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def daemon_tags(request: dg.RunRequest, sensor_name: str) -> dict[str, str]:
    """The run's tags as the sensor daemon would create them (run key and sensor name too)."""
    return {**request.tags, RUN_KEY_TAG: str(request.run_key), SENSOR_NAME_TAG: sensor_name}


def execute_request(
    job: dg.JobDefinition, instance: dg.DagsterInstance, request: dg.RunRequest, sensor_name: str
) -> dg.ExecuteInProcessResult:
    """Run a sensor's request in process, tagged like the daemon's run of it."""
    return job.execute_in_process(
        instance=instance,
        partition_key=request.partition_key,
        asset_selection=request.asset_selection,
        tags=daemon_tags(request, sensor_name),
        raise_on_error=False,
    )
