"""Standard Webhooks signature check; the secret that verifies a message identifies its sender."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from referral.service_layer.ports import InvalidSignature, Sender


class StandardWebhooksVerifier:
    """Implements `SignatureVerifier` with the `standardwebhooks` library; several secrets per sender."""

    def __init__(self, senders: Sequence[tuple[Sender, Sequence[str]]]) -> None:
        self._keys = [(sender, Webhook(secret)) for sender, secrets in senders for secret in secrets]

    def identify(self, body: bytes, headers: Mapping[str, str]) -> Sender:
        """The sender whose secret signed this body; InvalidSignature otherwise."""
        wanted = {k: headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature") if k in headers}
        if len(wanted) < 3:
            raise InvalidSignature("missing signature headers")
        for sender, webhook in self._keys:
            try:
                webhook.verify(body, wanted, json_parse=False)
            except (WebhookVerificationError, ValueError, UnicodeDecodeError):
                continue
            return sender
        raise InvalidSignature("no secret verifies this message")
