"""Acknowledgement links: signed (itsdangerous, the server's secret key), expiring, and single
use (``alert_delivery.link_used_at`` set by compare-and-set)."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..errors import Invalid

SALT = "atlas-alert-ack"


def token(secret_key: str, delivery_id: int) -> str:
    return URLSafeTimedSerializer(secret_key, salt=SALT).dumps({"d": delivery_id})


def read(secret_key: str, value: str, max_age_seconds: int) -> int:
    """The delivery the link was sent with. :raise Invalid: forged, damaged or expired."""
    try:
        data = URLSafeTimedSerializer(secret_key, salt=SALT).loads(value, max_age=max_age_seconds)
    except SignatureExpired:
        raise Invalid("this acknowledgement link has expired; acknowledge in the console",
                      fields={"token": "expired"}) from None
    except BadSignature:
        raise Invalid("this is not a valid acknowledgement link", fields={"token": "invalid"}) from None
    if not isinstance(data, dict) or not isinstance(data.get("d"), int):
        raise Invalid("this is not a valid acknowledgement link", fields={"token": "invalid"})
    return data["d"]
