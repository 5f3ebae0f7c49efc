"""The auth chassis: configured tokens, the authenticator, roles checked by `require`, the team claim."""

from __future__ import annotations

import hmac
from enum import StrEnum
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from trygg_shared.auth import Actor, BearerTokens, token_hash
from trygg_shared.bearer import require
from trygg_shared.http import install_problem_handlers
from trygg_shared.tokens import ApiToken, TokenAuthenticator, local_dev_tokens, uses_dev_tokens

pytestmark = pytest.mark.unit


class Role(StrEnum):
    OFFICER = "officer"
    TEAM = "team"
    ONCALL = "oncall"
    OPS = "ops"


PERMISSIONS = {"read": frozenset({Role.OFFICER, Role.OPS}), "manage": frozenset({Role.OPS})}


class StaffActor(Actor):
    """A service's own actor: the chassis builds it with the token's subject, roles and team scope."""

    @property
    def kind(self) -> str:
        return self.subject.partition(":")[0]


def token(secret: str, subject: str, *roles: Role, teams: list[str] | None = None) -> ApiToken[Role]:
    return ApiToken[Role](token_sha256=token_hash(secret), subject=subject, roles=list(roles), teams=teams)


TOKENS = [
    token("s-officer", "officer:anna", Role.OFFICER),
    token("s-ops", "ops:erik", Role.OPS),
    token("s-team", "team:maria", Role.TEAM, teams=["hofors"]),
]


def client() -> TestClient:
    authenticator = TokenAuthenticator(TOKENS, StaffActor)
    reader, manager = require(authenticator, PERMISSIONS["read"]), require(authenticator, PERMISSIONS["manage"])
    router = APIRouter()

    @router.get("/things")
    async def read(actor: Actor = reader) -> dict[str, Any]:
        return {"subject": actor.subject, "roles": list(actor.roles), "type": type(actor).__name__}

    @router.put("/things")
    async def manage(actor: Actor = manager) -> dict[str, str]:
        return {"subject": actor.subject}

    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    return TestClient(app)


def test_an_allowed_role_gets_the_services_actor() -> None:
    answer = client().get("/things", headers={"Authorization": "Bearer s-officer"})

    assert answer.status_code == 200
    assert answer.json() == {"subject": "officer:anna", "roles": ["officer"], "type": "StaffActor"}


@pytest.mark.parametrize(("bearer", "method"), [("s-officer", "put"), ("s-team", "get"), ("s-team", "put")])
def test_a_role_outside_the_permission_is_refused_403(bearer: str, method: str) -> None:
    answer = client().request(method, "/things", headers={"Authorization": f"Bearer {bearer}"})

    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "Your role may not do this."


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic s-ops"}])
def test_without_a_known_bearer_token_the_answer_is_401_with_the_challenge(headers: dict[str, str]) -> None:
    answer = client().get("/things", headers=headers)

    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["title"] == "Unauthorized"


def test_the_openapi_document_states_the_bearer_scheme_on_each_route() -> None:
    schema = client().get("/openapi.json").json()

    assert schema["components"]["securitySchemes"] == {
        "HTTPBearer": {"type": "http", "scheme": "bearer", "description": "Bearer token issued per API client."}
    }
    assert schema["paths"]["/things"]["get"]["security"] == [{"HTTPBearer": []}]
    assert schema["paths"]["/things"]["put"]["security"] == [{"HTTPBearer": []}]


def test_a_route_must_name_at_least_one_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        require(TokenAuthenticator(TOKENS, Actor), frozenset())


def test_the_team_claim_scopes_team_tokens_only() -> None:
    tokens = [
        *TOKENS,
        token("s-team-all", "team:lena", Role.TEAM),
        token("s-lead", "team:lead", Role.TEAM, Role.OPS, teams=["hofors"]),
        token("s-ops-teams", "ops:x", Role.OPS, teams=["hofors"]),
    ]
    authenticator = TokenAuthenticator(tokens, StaffActor)

    def scope(bearer: str) -> frozenset[str] | None:
        found = authenticator.authenticate(bearer)
        assert found is not None
        return found.teams

    assert scope("s-team") == frozenset({"hofors"})
    assert scope("s-team-all") is None  # no `teams`: every team
    assert scope("s-lead") is None  # any role besides team: never scoped
    assert scope("s-ops-teams") is None


def test_the_authenticator_finds_by_bearer_and_by_hash() -> None:
    authenticator = TokenAuthenticator(TOKENS, StaffActor)

    assert authenticator.authenticate("unknown") is None
    found = authenticator.find("s-ops")
    assert found is not None
    assert found.subject == "ops:erik"
    assert authenticator.by_hash(token_hash("s-team")) == StaffActor("team:maria", ("team",), frozenset({"hofors"}))
    assert authenticator.by_hash(token_hash("removed")) is None


def test_find_compares_the_bearer_with_every_configured_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[bytes] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        compared.append(b)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    tokens = BearerTokens(TOKENS)

    assert tokens.find("s-officer") is TOKENS[0]  # the first one matches: no early exit all the same
    assert compared == [bytes.fromhex(t.token_sha256) for t in TOKENS]
    compared.clear()
    assert tokens.find("nobody") is None
    assert len(compared) == len(TOKENS)


class Configured(BaseModel):
    api_tokens: list[ApiToken[Role]]


@pytest.mark.parametrize(
    "entry",
    [
        {"token_sha256": "not-hex", "subject": "ops:x", "roles": ["ops"]},
        {"token_sha256": "a" * 64, "subject": "", "roles": ["ops"]},
        {"token_sha256": "a" * 64, "subject": "ops:x", "roles": []},
        {"token_sha256": "a" * 64, "subject": "ops:x", "roles": ["admin"]},
        {"token_sha256": "a" * 64, "subject": "team:x", "roles": ["team"], "teams": "hofors"},
    ],
)
def test_the_configured_format_is_checked(entry: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Configured.model_validate({"api_tokens": [entry]})


def test_the_configured_format_reads_the_json_list() -> None:
    parsed = Configured.model_validate_json(
        '{"api_tokens": [{"token_sha256": "' + "a" * 64 + '", "subject": "team:x", "roles": ["team"], '
        '"teams": ["hofors"]}, {"token_sha256": "' + "b" * 64 + '", "subject": "ops:y", "roles": ["ops", "officer"]}]}'
    )

    assert [(t.subject, t.roles, t.teams) for t in parsed.api_tokens] == [
        ("team:x", [Role.TEAM], ["hofors"]),
        ("ops:y", [Role.OPS, Role.OFFICER], None),
    ]


def test_local_dev_tokens_are_one_per_role_and_recognised() -> None:
    dev = local_dev_tokens(Role, team_teams=["hofors", "huddinge"])

    assert [(t.subject, t.roles, t.teams) for t in dev] == [
        ("officer:dev", [Role.OFFICER], None),
        ("team:dev", [Role.TEAM], ["hofors", "huddinge"]),
        ("oncall:dev", [Role.ONCALL], None),
        ("ops:dev", [Role.OPS], None),
    ]
    authenticator = TokenAuthenticator(dev, Actor)
    assert authenticator.authenticate("dev-ops") == Actor("ops:dev", ("ops",))
    assert uses_dev_tokens([*TOKENS, dev[2]], dev)
    assert not uses_dev_tokens(TOKENS, dev)
