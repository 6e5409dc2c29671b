"""Run status sensors that close each run's trace with its run span.

Step spans are exported while a run executes, each parented on a run span whose ids are
derived from the run id; these sensors emit that run span once the run has succeeded,
failed or been canceled, with the start and end times Dagster recorded for it. They run
in the daemon, so they see every run whatever its executor or run launcher.
"""

from collections.abc import Callable

import dagster as dg

from resources.instance_history import first_of_its_kind
from resources.telemetry import TelemetryResource, emit_run_span
from resources.telemetry_setup import TelemetryHandle

_STATUSES = (
    dg.DagsterRunStatus.SUCCESS,
    dg.DagsterRunStatus.FAILURE,
    dg.DagsterRunStatus.CANCELED,
)


def close_run_trace(context: dg.RunStatusSensorContext, telemetry: TelemetryResource) -> None:
    """Emit the run span of the run that triggered ``context``, once per run."""
    run, event = context.dagster_run, context.dagster_event
    if first_of_its_kind(context.instance, run.run_id, event):
        emit_finished_run_span(telemetry.handle, context.instance, run, event.message)


def emit_finished_run_span(
    handle: TelemetryHandle,
    instance: dg.DagsterInstance,
    run: dg.DagsterRun,
    failure_message: str | None = None,
) -> None:
    """Emit the span of a finished run from its record (start and end times, status).

    Called by the sensors below in a deployment, and by whoever ran the job in-process
    when no daemon is watching (``make run``).
    """
    record = instance.get_run_record_by_id(run.run_id)
    if record is None:
        return
    run = record.dagster_run
    end_time = record.end_time or record.update_timestamp.timestamp()
    start_time = record.start_time or record.create_timestamp.timestamp()
    failed = run.status != dg.DagsterRunStatus.SUCCESS
    emit_run_span(
        handle,
        run,
        start_time=start_time,
        end_time=end_time,
        status=run.status.value,
        error=(failure_message or run.status.value) if failed else None,
    )


def _sensor_for(status: dg.DagsterRunStatus) -> dg.SensorDefinition:
    def close(context: dg.RunStatusSensorContext, telemetry: TelemetryResource) -> None:
        close_run_trace(context, telemetry)

    decorate: Callable[..., dg.SensorDefinition] = dg.run_status_sensor(
        run_status=status,
        name=f"telemetry_run_span_{status.value.lower()}",
        description=f"Emits the OpenTelemetry run span of each {status.value.lower()} run.",
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    return decorate(close)


def build_run_telemetry_sensors() -> list[dg.SensorDefinition]:
    """One run status sensor per terminal status (success, failure, canceled)."""
    return [_sensor_for(status) for status in _STATUSES]
