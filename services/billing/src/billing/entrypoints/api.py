"""The billing HTTP API for `officer` and `ops`: statements, fee headroom, reports, tariffs, runs.

Routes translate HTTP to one use case and back, one module per resource (`statements`,
`reports`, `tariffs`, `runs`); `common` holds what they share. Every route needs a bearer
token with one of the roles of `ports.PERMISSIONS` (team and on-call tokens get 403). Every response
that shows personal data (statements, reports with case ids and person references, CSV
exports) writes an audit record before it is sent. Errors are problem+json: 401, 403, 404, 409
(a state conflict: a run for a month that has not ended, or held by another process), 422.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from billing.entrypoints.common import AUTH_ERRORS, Access
from billing.entrypoints.fees import fees_router
from billing.entrypoints.invoices import invoices_router
from billing.entrypoints.reports import reports_router
from billing.entrypoints.runs import audit_router, runs_router
from billing.entrypoints.statements import headroom_router, statements_router
from billing.entrypoints.tariffs import prices_router, tariffs_router
from billing.service_layer.ports import Authenticator, BillingDeps
from trygg_shared.http import known_query_only

RESOURCES = (
    statements_router,
    headroom_router,
    fees_router,
    reports_router,
    invoices_router,
    tariffs_router,
    prices_router,
    runs_router,
    audit_router,
)


def billing_router(deps: BillingDeps, authenticator: Authenticator) -> APIRouter:
    """Every route of the API, in the order the OpenAPI document lists them."""
    access = Access.of(authenticator)
    router = APIRouter(responses=AUTH_ERRORS, dependencies=[Depends(known_query_only)])
    for resource in RESOURCES:
        router.include_router(resource(deps, access))
    return router
