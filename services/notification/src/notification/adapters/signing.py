"""Signed callback URLs: 46elks signs nothing, so every URL we give it carries our own HMAC.

A delivery report is accepted only at a URL we issued for that message (`message_id` + `sig`),
so an unsigned or forged report is refused before anything is looked up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qs, urlencode, urlsplit


class CallbackSigner:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the callback secret must be at least 16 bytes")
        self._secret = secret

    def sign(self, value: str) -> str:
        digest = hmac.new(self._secret, value.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")

    def verify(self, value: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(value), signature)

    def url(self, base: str, path: str, value: str, param: str = "message_id") -> str:
        """`base/path?<param>=value&sig=...`."""
        return f"{base.rstrip('/')}{path}?{urlencode({param: value, 'sig': self.sign(value)})}"


def query_params(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items() if v}


def twilio_signature(auth_token: str, url: str, form: dict[str, str]) -> str:
    """X-Twilio-Signature: base64(HMAC-SHA1(auth token, URL + each POST parameter name and value, sorted))."""
    payload = url + "".join(f"{k}{form[k]}" for k in sorted(form))
    return base64.b64encode(hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()).decode()
