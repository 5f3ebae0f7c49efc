"""Errors as RFC 9457 problem details, and how the OpenAPI document declares them.

Routes translate the domain's and the use cases' errors here: 404 an unknown case or
decision, 409 a request the case's (or agreement's) current state does not allow, 422 input
that breaks a rule the schema cannot express, 503 when the database cannot answer now. Messages
never contain personal data (the domain writes them so).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from referral.domain.case import CaseError, CaseNotFound
from referral.domain.decision import DecisionError
from referral.domain.identity import InvalidIdentity
from referral.service_layer.agreements import AgreementInThePast, AgreementRejected
from referral.service_layer.cases import CaseOfAnotherTeam
from referral.service_layer.ports import ConcurrencyConflict, StorageUnavailable
from referral.service_layer.sms_limits import (
    INVALID_PHONE,
    OfficerDailyCapReached,
    RelativePhoneRefused,
    TooManyConsentingRelatives,
)
from trygg_shared.http import (
    RETRY_AFTER,
    FieldError,
    ProblemError,
    bearer_errors,
    invalid,
    problem,
    service_unavailable,
    unavailable,
)

# `RETRY_AFTER` and `problem` are the chassis' (`trygg_shared.http`), exported for the webhook route.
__all__ = ["AUTH_ERRORS", "BAD_BODY", "CONFLICT", "NOT_FOUND", "RETRY_AFTER", "SMS_CAPS", "domain_errors", "problem"]

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    **bearer_errors("The token lacks the role this endpoint needs (or, a team token, acts for another team)."),
    422: invalid(),
    503: unavailable(),
}
BAD_BODY: dict[int | str, dict[str, Any]] = {400: problem("The body is not JSON.")}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: problem("No such case (or no such decision on it).")}
SMS_CAPS: dict[int | str, dict[str, Any]] = {
    422: problem(
        "The request breaks the documented format, a consenting relative's number may not get SMS "
        "(`relatives.<i>.phone`: allowed countries and number types), or the decision has more consenting "
        "relatives than the cap (`relatives`); `errors` lists each field."
    ),
    429: problem(
        "The officer has recorded today's most consents to SMS; more after local midnight (`Retry-After`).",
        headers=RETRY_AFTER,
    ),
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: problem("The case's current state does not allow this (the detail says why).")
}


@contextlib.contextmanager
def domain_errors(*, rules_are_conflicts: bool = False) -> Iterator[None]:
    """Domain and storage errors as problem+json.

    `rules_are_conflicts`: a broken decision rule depends on the decision's current state
    here (changing or ending it), so it is a 409, not a 422.
    """
    try:
        yield
    except CaseNotFound as exc:
        raise ProblemError(404, "Not found", str(exc)) from None
    except (CaseError, ConcurrencyConflict, AgreementInThePast) as exc:
        raise ProblemError(409, "Conflict", str(exc) or "It changed meanwhile; try again.") from None
    except InvalidIdentity as exc:
        raise ProblemError(
            422, "Unprocessable content", errors=[FieldError(field="person.id", message=str(exc), type="value_error")]
        ) from None
    except DecisionError as exc:
        if rules_are_conflicts:
            raise ProblemError(409, "Conflict", str(exc)) from None
        raise ProblemError(422, "Unprocessable content", str(exc)) from None
    except RelativePhoneRefused as exc:
        raise ProblemError(
            422,
            "Unprocessable content",
            "A relative's phone number is not a valid number."
            if exc.reason == INVALID_PHONE
            else "A relative with consent needs a mobile number that may get SMS.",
            errors=[FieldError(field=f"relatives.{exc.index}.phone", message=exc.reason, type="value_error")],
        ) from None
    except TooManyConsentingRelatives as exc:
        raise ProblemError(
            422,
            "Unprocessable content",
            str(exc),
            errors=[FieldError(field="relatives", message=str(exc), type="too_long")],
        ) from None
    except OfficerDailyCapReached as exc:
        raise ProblemError(429, "Too many requests", str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    except AgreementRejected as exc:
        raise ProblemError(422, "Unprocessable content", str(exc)) from None
    except CaseOfAnotherTeam:
        raise ProblemError(403, "Forbidden", "Your token does not act for this case's team.") from None
    except StorageUnavailable:
        raise service_unavailable() from None
