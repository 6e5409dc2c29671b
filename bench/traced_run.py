"""Child process: :mod:`bench.platform_run` with tracing on.

Spans and metrics are exported over OTLP/HTTP (``http/protobuf``, the SDK's batch
processor) to a receiver on 127.0.0.1 in this process, as a collector sidecar would
receive them; decoding on the receiving side is counted in the run's time too, so
the overhead reported is an upper bound. Prints the same figures as platform_run plus
the number of spans received.

    python -m bench.traced_run --landing DIR --start 2025-01-01 --days 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
from pathlib import Path

from bench.harness import emit
from bench.platform_run import materialize
from devtools.otlp_receiver import OtlpReceiver
from resources.telemetry_setup import reset_telemetry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True)
    parser.add_argument("--start", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--days", type=int, required=True)
    args = parser.parse_args()
    with OtlpReceiver() as receiver, tempfile.TemporaryDirectory(prefix="bench-traced-") as work:
        os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.endpoint
        os.environ.setdefault("OTEL_SERVICE_NAME", "orders-bench")
        figures = materialize(
            landing=args.landing, start=args.start, days=args.days, mode="single", work=Path(work)
        )
        reset_telemetry()  # flush what the batch processor still holds
        spans = receiver.spans()
    if not any(span.name == "materialize raw_orders" for span in spans):
        raise RuntimeError("tracing was on but no raw_orders span arrived")
    emit({**figures, "spans_received": len(spans)})


if __name__ == "__main__":
    main()
