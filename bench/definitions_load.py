"""Child process: seconds to import the code location and build its repository.

This is what a code server, ``dagster dev`` or a run worker pays before it can do
anything: ``import orders_platform.definitions`` (which builds ``defs``) and the
repository Dagster resolves from it. The clock starts before the first import.
"""

import time

_WALL, _CPU = time.perf_counter(), time.process_time()

import warnings  # noqa: E402

warnings.simplefilter("ignore")

import orders_platform.definitions as definitions  # noqa: E402

definitions.defs.get_repository_def()
_LOADED_WALL, _LOADED_CPU = time.perf_counter() - _WALL, time.process_time() - _CPU

from bench.harness import emit  # noqa: E402

if __name__ == "__main__":
    emit({"seconds": round(_LOADED_WALL, 3), "cpu_s": round(_LOADED_CPU, 3)})
