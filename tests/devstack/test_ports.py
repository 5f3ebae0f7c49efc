"""Ports for local servers and services: never the same port twice to one process, and a service is not
started on a port something else answers on (that other process would pass for its readiness)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from devstack.servers import LOOPBACK, ServerError, free_port
from devstack.stack import SERVICES, ServiceProcess


def test_free_port_never_hands_out_a_port_twice() -> None:
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)


def test_a_service_is_not_started_on_a_port_another_process_answers_on(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind((LOOPBACK, 0))
        other.listen()
        port = other.getsockname()[1]
        console = ServiceProcess(next(s for s in SERVICES if s.name == "console"), port, {}, tmp_path)
        with pytest.raises(ServerError, match=f"port {port} on 127.0.0.1 is in use"):
            console.start()
        assert console.pid() is None  # nothing was started
