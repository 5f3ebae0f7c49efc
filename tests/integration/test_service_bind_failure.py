"""A service that cannot bind its HTTP port exits, instead of running on without HTTP.

Seen on CI: the console's port was taken, uvicorn logged the bind error and asked the app to shut
down, and the shutdown never ended. A background loop had lost its cancellation inside PyMongo (mid
connection set-up) and went on to sleep for an hour, so the process stayed alive for good,
consuming events with no HTTP and no readiness of its own (`trygg_shared.stopping`).
"""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path

from devstack.servers import LOOPBACK
from devstack.testing import Endpoints, service_processes


def test_a_service_whose_port_cannot_be_bound_exits_with_a_failure(servers: Endpoints, tmp_path: Path) -> None:
    console = service_processes(servers, ["console"], f"_bind_{uuid.uuid4().hex[:8]}", tmp_path)["console"]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        # Bound but not listening: the port looks free to a connect (so the start goes ahead), but
        # uvicorn cannot bind it, after the app's start-up has run.
        holder.bind((LOOPBACK, console.port))
        console.start()
        try:
            deadline = time.monotonic() + 90
            while console.alive() and time.monotonic() < deadline:
                time.sleep(0.5)
            assert not console.alive(), f"still running 90 s after its bind failed:\n{console.proc.tail()}"
        finally:
            console.stop()
    assert console.returncode() not in (0, None), console.proc.tail()
    # The whole log: a new consumer group logs the shared Kafka's history too, past any tail.
    log = console.proc.log_path.read_text()
    assert "address already in use" in log
    assert "Application startup complete" in log  # the failure came after the start-up, as on CI
