"""Stopping background tasks so that a service's shutdown ends.

`task.cancel()` then `await task` waits for as long as the task runs on. A task may run on after a
cancellation it never saw: PyMongo 4.20's async client can swallow a `CancelledError` that arrives
while it sets up a connection (seen as a console that could not bind its port and then hung in
"Waiting for application shutdown" for good, its consumers still handling events). So a task that
is still running after `grace` seconds is cancelled again, once a second, and one still running
after `patience` seconds is left behind with a warning rather than holding the shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

from trygg_shared.logging import get_logger

log = get_logger(__name__)


async def stop_tasks(tasks: Iterable[asyncio.Task[object]], *, grace: float = 1.0, patience: float = 10.0) -> None:
    """Cancel the tasks and wait until each has ended (re-cancelling any still running after `grace`
    seconds, once a second) or `patience` seconds have passed."""
    pending = {task for task in tasks if not task.done()}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    wait = grace
    for task in pending:
        task.cancel()
    while pending:
        done, pending = await asyncio.wait(pending, timeout=max(min(wait, deadline - loop.time()), 0.0))
        for task in done:  # retrieve what it ended with, so that asyncio does not log it as never retrieved
            with contextlib.suppress(asyncio.CancelledError):
                task.exception()
        if not pending:
            return
        if loop.time() >= deadline:
            log.warning("background tasks did not stop; left behind", tasks=sorted(t.get_name() for t in pending))
            return
        for task in pending:  # its cancellation was swallowed or its clean-up is slow: ask again
            task.cancel()
        wait = 1.0
