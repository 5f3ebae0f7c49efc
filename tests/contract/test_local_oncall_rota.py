"""`make run` (`trygg run`) starts notification with a local fallback rota, so first alerts reach someone."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.cli import LOCAL_ONCALL_PHONES
from devstack.stack import Stack
from notification.config import Settings


def test_trygg_run_gives_notification_the_local_fallback_rota(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stack = Stack(tmp_path, oncall_phones=LOCAL_ONCALL_PHONES, jaeger=False)
    env = stack.service("notification").env
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    assert Settings().dev_fallback_rota == list(LOCAL_ONCALL_PHONES)
    assert len(LOCAL_ONCALL_PHONES) >= 1


def test_test_stacks_start_without_one(tmp_path: Path) -> None:
    env = Stack(tmp_path, jaeger=False).service("notification").env
    assert "NOTIFICATION_DEV_FALLBACK_ROTA" not in env
