"""Errors as RFC 9457 problem details, and how the OpenAPI document declares them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from notification.domain.alert import AlertError
from notification.service_layer.alerts import AlertNotFound
from notification.service_layer.ops import NotFound
from trygg_shared.aggregate import ConcurrencyConflict, StorageUnavailable
from trygg_shared.http import (
    ProblemError,
    bearer_errors,
    invalid,
    problem,
    service_unavailable,
    unavailable,
)

COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    400: problem("The request could not be read (a body that is not JSON or a form, bad encoding)."),
    422: invalid(),
    503: unavailable(),
}
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    **bearer_errors("The token lacks the role this endpoint needs."),
    **COMMON_ERRORS,
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: problem("No such alert, message, case or rota.")}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: problem("The alert's current state does not allow this (it was acknowledged already).")
}


@contextlib.contextmanager
def domain_errors() -> Iterator[None]:
    try:
        yield
    except (NotFound, AlertNotFound):
        raise ProblemError(404, "Not found", "No such resource.") from None
    except AlertError as exc:
        raise ProblemError(409, "Conflict", str(exc)) from None
    except ConcurrencyConflict:
        raise ProblemError(409, "Conflict", "It changed meanwhile; try again.") from None
    except StorageUnavailable:
        raise service_unavailable() from None
