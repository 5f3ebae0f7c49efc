"""Typed settings of the referral service (environment prefix `REFERRAL_`, nested parts with `__`).

Example: `REFERRAL_KAFKA__BOOTSTRAP_SERVERS=kafka:9092`, `REFERRAL_MONGO__URI=mongodb://mongo:27017/`,
`REFERRAL_SENDERS='[{"sender_id": "tc-sll", "region_code": "01", "secrets": ["whsec_..."]}]'`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

from referral.entrypoints.webhooks import WebhookLimits
from referral.service_layer.ports import Role
from trygg_shared.admission import AdmissionSettings
from trygg_shared.phones import SmsNumberSettings
from trygg_shared.settings import ServiceSettings
from trygg_shared.tokens import ApiToken, local_dev_tokens, uses_dev_tokens

# Local development only: `make run` and `trygg webhook` use it. Production sets REFERRAL_SENDERS.
LOCAL_DEV_SENDER_SECRET = "whsec_dHJ5Z2ctaGVtZ2FuZy1sb2NhbC1kZXYtb25seSEh"  # noqa: S105
LOCAL_DEV_PERSON_REF_KEY = "local-dev-only-person-ref-key-change-me"


class SenderConfig(BaseModel):
    """One sending hospital system (one per region or hospital group)."""

    sender_id: str = Field(description="Our name for the sending system, e.g. `takecare-sll`.")
    region_code: str | None = Field(
        None, description="Region code (e.g. `01` Stockholm) that selects the payment-liability agreement."
    )
    secrets: list[SecretStr] = Field(
        min_length=1,
        description="Standard Webhooks secrets (`whsec_<base64>`); several during key rotation.",
    )


class TeamSettings(BaseModel):
    """One of the municipality's teams with its id (as scheduling and team tokens know it)."""

    team_id: str = Field(min_length=1, description="The team's id in scheduling, e.g. `team-vast`.")
    name: str = Field(min_length=1, description="The name officers' decisions give, e.g. `Team Väst`.")


class MunicipalityProfileSettings(BaseModel):
    """Service parameters of the municipality (DOMAIN.md: Järfälla 5 days, Stockholm/Hofors/Huddinge 14)."""

    name: str = Field("default", description="Name of the profile, e.g. `jarfalla-2018`.")
    max_length_days: int = Field(14, ge=1, le=90, description="Longest Trygg hemgång decision, in days.")
    teams: list[str | TeamSettings] = Field(
        default_factory=list,
        description="The municipality's teams: names, or {team_id, name} so that decisions record the team's id "
        "(team tokens are scoped by id); empty accepts any name.",
    )

    def team_names(self) -> tuple[str, ...]:
        return tuple(t if isinstance(t, str) else t.name for t in self.teams)

    def team_ids(self) -> tuple[tuple[str, str], ...]:
        """(name, team id) of the teams configured with an id."""
        return tuple((t.name, t.team_id) for t in self.teams if isinstance(t, TeamSettings))


class SmsSettings(SmsNumberSettings):
    """Limits on the texts decisions cause: relatives with consent get SMS from notification."""

    max_consenting_relatives: int = Field(
        5, ge=1, le=10, description="Most relatives with consent to SMS on one decision (422 beyond)."
    )
    officer_daily_consents: int = Field(
        30, ge=1, description="Most consents to SMS one officer records per local day, over all cases (429 beyond)."
    )
    timezone: str = Field("Europe/Stockholm", description="The local day of the officer's cap.")


class Settings(ServiceSettings, service="referral", port=8001):
    """Settings of the referral service; defaults run against `make run`'s local servers."""

    senders: list[SenderConfig] = Field(
        default_factory=lambda: [
            SenderConfig(sender_id="local-dev", region_code="01", secrets=[SecretStr(LOCAL_DEV_SENDER_SECRET)])
        ],
        description="Hospital systems allowed to send LUS webhooks, each with its signing secrets.",
    )
    person_ref_key: SecretStr = Field(
        SecretStr(LOCAL_DEV_PERSON_REF_KEY),
        description="Key of the keyed hash that turns identity numbers into person references. "
        "Changing it changes every reference: set once per deployment.",
    )
    api_tokens: list[ApiToken[Role]] = Field(
        default_factory=lambda: local_dev_tokens(Role),
        description="API clients as a JSON list of {token_sha256, subject, roles, teams}; roles: officer, team, "
        "oncall, ops; `teams` (team ids) scopes a team token to the cases of those teams. The default tokens "
        "dev-officer, dev-team, dev-oncall, dev-ops are for local use only.",
    )
    profile: MunicipalityProfileSettings = Field(
        default_factory=MunicipalityProfileSettings,
        description="The municipality's Trygg hemgång parameters.",
    )
    inbox_sweep_seconds: float = Field(
        30.0, gt=0, description="How often stored-but-unapplied hospital messages are retried."
    )
    inbox_retention_days: float = Field(
        30.0,
        gt=0,
        description="Applied hospital messages are removed from the inbox this long after they arrived (the case "
        "keeps each message and the answer given, so repeats and the case history are not affected).",
    )
    webhook_limits: WebhookLimits = Field(
        default_factory=WebhookLimits,  # type: ignore[arg-type]
        description="Rate limits of the hospital intake: per sender and for failed signatures per client address.",
    )
    webhook_admission: AdmissionSettings = Field(
        default_factory=AdmissionSettings,
        description="Admission control of the hospital intake: webhooks in flight, and the 503 for the rest.",
    )
    sms: SmsSettings = Field(
        default_factory=SmsSettings,  # type: ignore[arg-type]
        description="The allow-list and caps for relatives' SMS, checked when an officer records consent.",
    )
    agreements_refresh_seconds: float = Field(
        60.0,
        gt=0,
        description="How often each replica rereads the payment-liability agreements (a version added on "
        "another replica is used here within this time).",
    )
    liability_count_seconds: float = Field(
        300.0,
        gt=0,
        description="How often the running payment clocks are counted: a case whose count grew by a liable day "
        "publishes it (`liability_days_counted`), so billing's report of a running clock lags at most this long.",
    )
    sip_timer_seconds: float = Field(
        30.0,
        gt=0,
        description="Longest sleep of the SIP lapse timer: it sleeps until the earliest SIP deadline still "
        "waiting for an invitation, and looks again at least this often for deadlines saved by another replica.",
    )


def local_defaults_in_use(settings: Settings) -> list[str]:
    """Settings still at their local-development values (which must never reach production)."""
    found = []
    if any(secret.get_secret_value() == LOCAL_DEV_SENDER_SECRET for s in settings.senders for secret in s.secrets):
        found.append("REFERRAL_SENDERS")
    if settings.person_ref_key.get_secret_value() == LOCAL_DEV_PERSON_REF_KEY:
        found.append("REFERRAL_PERSON_REF_KEY")
    if uses_dev_tokens(settings.api_tokens, local_dev_tokens(Role)):
        found.append("REFERRAL_API_TOKENS")
    return found
