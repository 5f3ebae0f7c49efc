"""Typed settings of the billing service (environment prefix `BILLING_`, nested parts with `__`).

Example: `BILLING_KAFKA__BOOTSTRAP_SERVERS=kafka:9092`, `BILLING_MONGO__URI=mongodb://mongo:27017/`,
`BILLING_MUNICIPALITY_CODE=2104`.
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, Field, model_validator

from billing.domain.invoice_csv import DEFAULT_LAYOUT, FIELDS, InvoiceLayout
from billing.service_layer.ports import Role
from trygg_shared.settings import ServiceSettings
from trygg_shared.tokens import ApiToken, local_dev_tokens


class InvoiceLayoutSetting(BaseModel):
    """One region's invoice file layout: the header naming each field's column, and the format."""

    columns: dict[str, str] = Field(description=f"Field ({', '.join(FIELDS)}) -> the header of its column.")
    delimiter: str = Field(";", min_length=1, max_length=1)
    encoding: str = Field("utf-8", pattern=r"^[A-Za-z0-9_-]{1,20}$")
    decimal_comma: bool = True

    @model_validator(mode="after")
    def _applies(self) -> Self:
        self.layout()  # a layout that cannot be applied stops the service at start
        return self

    def layout(self) -> InvoiceLayout:
        return InvoiceLayout(dict(self.columns), self.delimiter, self.encoding, self.decimal_comma)


def _default_layouts() -> dict[str, InvoiceLayoutSetting]:
    default = InvoiceLayoutSetting(columns=dict(DEFAULT_LAYOUT.columns))
    return {"*": default}


class Settings(ServiceSettings, service="billing", port=8004):
    """Settings of the billing service; defaults run against `make run`'s local servers."""

    consumer_group: str = Field(
        "billing",
        description="Kafka consumer group of the referral case-events consumer; the billing-subjects and "
        "scheduling consumers use `<group>-subjects` and `<group>-scheduling`.",
    )
    municipality_code: str = Field(
        "2104",
        pattern=r"^\d{4}$",
        description="Kommunkod of the municipality that issues the statements: its tariffs apply "
        "(seeded: 2104 Hofors, 0123 Järfälla, 0126 Huddinge).",
    )
    issue_day: int = Field(1, ge=1, le=28, description="Day of the month on which last month's statements are issued.")
    issue_hour: int = Field(6, ge=0, le=23, description="Local hour (Europe/Stockholm) from which they are issued.")
    issue_check_seconds: float = Field(
        60.0, gt=0, description="How often the issuing timer checks whether a month's statements are due."
    )
    issue_lease_seconds: float = Field(
        600.0, gt=0, description="A run that stopped is taken over by another process after this long."
    )
    api_tokens: list[ApiToken[Role]] = Field(
        default_factory=lambda: local_dev_tokens(Role),
        description="API clients as a JSON list of {token_sha256, subject, roles}; roles officer and ops "
        "use billing. The default tokens dev-officer, dev-team, dev-oncall, dev-ops are for local use only.",
    )
    invoice_layouts: dict[str, InvoiceLayoutSetting] = Field(
        default_factory=_default_layouts,
        description="The regions' invoice CSV layouts as JSON, per region code (län, e.g. `01`) or `*` for any "
        "other: {columns: {field: header}, delimiter, encoding, decimal_comma}; fields identity_number, episode_id, "
        "care_unit, ready_date, discharge_date, days, amount (README: the region's invoice). Default: `*` with "
        "the documented layout.",
    )

    @model_validator(mode="after")
    def _any_region(self) -> Self:
        if "*" not in self.invoice_layouts:
            raise ValueError("invoice_layouts needs a `*` layout for regions without their own")
        if any(not (k == "*" or (len(k) == 2 and k.isdigit())) for k in self.invoice_layouts):
            raise ValueError("invoice_layouts are keyed by a two-digit region code or `*`")
        return self


def invoice_layouts(settings: Settings) -> dict[str, InvoiceLayout]:
    return {region: setting.layout() for region, setting in settings.invoice_layouts.items()}
