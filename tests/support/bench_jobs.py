"""A small reconstructable job for the bench's run helpers (tests/core/test_bench_run.py):
one op using one resource, so that each initialization of the resource shows as an event."""

from __future__ import annotations

import dagster as dg


class Counted(dg.ConfigurableResource):
    def value(self) -> int:
        return 1


@dg.op
def use_resource(counted: Counted) -> int:
    return counted.value()


@dg.job(resource_defs={"counted": Counted()}, executor_def=dg.in_process_executor)
def counted_job() -> None:
    use_resource()


def reconstructable_counted_job() -> dg.JobDefinition:
    return counted_job
