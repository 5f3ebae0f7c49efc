"""The provider adapters against scripted HTTP answers: requests sent, statuses normalised, errors classed."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import pytest

from notification.adapters.elks import FortySixElks
from notification.adapters.signing import CallbackSigner, query_params
from notification.adapters.twilio import Twilio
from notification.domain.message import DeliveryStatus
from notification.service_layer.ports import Accepted, Found, LookupFailed, NotFound, OutgoingSms, Rejected, Unavailable

SMS = OutgoingSms(message_id="m_1", to="+46701112233", sender="TryggHem", text="Hej! Tid: kl. 10:00.")
SIGNER = CallbackSigner(b"0123456789abcdef0123")


def elks(handler: httpx.MockTransport) -> FortySixElks:
    return FortySixElks(
        httpx.AsyncClient(transport=handler),
        base_url="https://api.46elks.test",
        username="u1",
        password="p1",
        signer=SIGNER,
        public_base_url="https://n.example.se",
    )


async def test_46elks_gets_a_basic_auth_form_post_with_a_signed_delivery_url() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "s17a6", "status": "created", "to": SMS.to})

    outcome = await elks(httpx.MockTransport(handle)).send(SMS)
    assert outcome == Accepted("s17a6", DeliveryStatus.ACCEPTED)
    [request] = seen
    assert request.url.path == "/a1/sms"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"u1:p1").decode()
    form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
    assert (form["from"], form["to"], form["message"]) == (SMS.sender, SMS.to, SMS.text)
    params = query_params(form["whendelivered"])
    assert form["whendelivered"].startswith("https://n.example.se/callbacks/46elks/delivery?")
    assert params["message_id"] == "m_1"
    assert SIGNER.verify("m_1", params["sig"])


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, Rejected("http_400")),
        (401, Rejected("http_401")),
        (403, Rejected("http_403")),
        (429, Unavailable("http_429", ambiguous=False)),
        (500, Unavailable("http_500", ambiguous=True)),
        (503, Unavailable("http_503", ambiguous=True)),
    ],
)
async def test_46elks_errors_are_final_on_4xx_and_retried_on_5xx_and_429(status: int, expected: object) -> None:
    outcome = await elks(httpx.MockTransport(lambda r: httpx.Response(status, text="no"))).send(SMS)
    assert outcome == expected


async def test_a_timeout_is_ambiguous_and_a_refused_connection_is_not() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    assert await elks(httpx.MockTransport(timeout)).send(SMS) == Unavailable("ReadTimeout", ambiguous=True)
    assert await elks(httpx.MockTransport(refused)).send(SMS) == Unavailable("ConnectError", ambiguous=False)


async def test_46elks_history_finds_our_message_on_a_later_page() -> None:
    pages = {
        None: {
            "data": [{"id": "s1", "direction": "outgoing", "from": "TryggHem", "to": SMS.to, "message": "other"}],
            "next": "2026-11-23T08:00:00.000000",
        },
        "2026-11-23T08:00:00.000000": {
            "data": [
                {
                    "id": "s2",
                    "direction": "outgoing",
                    "from": "TryggHem",
                    "to": SMS.to,
                    "message": SMS.text,
                    "status": "delivered",
                }
            ]
        },
    }

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.params["to"] == SMS.to
        assert request.url.params["end"].startswith("2026-11-23T07:")
        return httpx.Response(200, json=pages[request.url.params.get("start")])

    since = datetime(2026, 11, 23, 7, 58, tzinfo=UTC)
    assert await elks(httpx.MockTransport(handle)).lookup(SMS, since) == Found("s2", DeliveryStatus.DELIVERED)
    empty = httpx.MockTransport(lambda r: httpx.Response(200, json={"data": []}))
    assert await elks(empty).lookup(SMS, since) == NotFound()
    down = httpx.MockTransport(lambda r: httpx.Response(502))
    assert await elks(down).lookup(SMS, since) == LookupFailed("http_502")


async def test_twilio_gets_the_messages_api_form_with_a_status_callback() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "GET":
            return httpx.Response(
                200,
                json={
                    "messages": [
                        {
                            "sid": "SMx",
                            "body": SMS.text,
                            "status": "sent",
                            "direction": "outbound-api",
                            "date_created": "Mon, 23 Nov 2026 09:00:01 +0000",
                        }
                    ]
                },
            )
        return httpx.Response(201, json={"sid": "SM123", "status": "queued"})

    twilio = Twilio(
        httpx.AsyncClient(transport=httpx.MockTransport(handle)),
        base_url="https://api.twilio.test",
        account_sid="AC1",
        auth_token="tok",
        public_base_url="https://n.example.se",
    )
    assert await twilio.send(SMS) == Accepted("SM123", DeliveryStatus.ACCEPTED)
    form = {k: v[0] for k, v in parse_qs(seen[0].content.decode()).items()}
    assert seen[0].url.path == "/2010-04-01/Accounts/AC1/Messages.json"
    assert (form["To"], form["From"], form["Body"]) == (SMS.to, SMS.sender, SMS.text)
    assert form["StatusCallback"] == "https://n.example.se/callbacks/twilio/status?message_id=m_1"
    found = await twilio.lookup(SMS, datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    assert found == Found("SMx", DeliveryStatus.SENT)
    assert await twilio.lookup(SMS, datetime(2026, 11, 23, 10, 0, tzinfo=UTC)) == NotFound()
