"""The notification service's on-call API, over HTTP (httpx).

`POST {base_url}/alerts/{alert_id}/acknowledgement` with the console's bearer token (role
`oncall`) and `{"on_behalf_of": "<who clicked>"}`: 2xx acknowledged, 404 (or 422 for an id the
service cannot hold) unknown alert, 409 already acknowledged; anything else, or no answer, is
`NotificationUnavailable`. The notification service records the token's subject as the one who
acknowledged; the person who clicked is in the console's log and in the body (see the README).
"""

from __future__ import annotations

from urllib.parse import quote

import httpx

from console.adapters.service_client import BearerClient
from console.service_layer.ports import AlertConflict, AlertNotFound, NotificationUnavailable
from trygg_shared.logging import get_logger

log = get_logger(__name__)


class HttpNotifications(BearerClient):
    async def acknowledge(self, alert_id: str, *, by: str) -> None:
        url = f"{self._base}/alerts/{quote(alert_id, safe='')}/acknowledgement"
        try:
            async with self._client() as client:
                response = await client.post(url, json={"on_behalf_of": by}, headers=self._auth)
        except httpx.HTTPError as exc:
            log.warning("notification service unreachable", alert_id=alert_id, error=type(exc).__name__)
            raise NotificationUnavailable(type(exc).__name__) from None
        if response.status_code in (404, 422):
            raise AlertNotFound(alert_id)
        if response.status_code == 409:
            raise AlertConflict(alert_id)
        log.info("alert acknowledged through the notification service", alert_id=alert_id, by=by)
        if not response.is_success:
            log.warning(
                "notification service refused the acknowledgement", alert_id=alert_id, status=response.status_code
            )
            raise NotificationUnavailable(f"HTTP {response.status_code}")
