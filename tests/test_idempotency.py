"""`Idempotency-Key` on POSTs (api/idempotency.py): a retry returns the first answer and
creates nothing twice; the same key with another body is 422; a key whose first request
still runs is 409; keys live 24 h; each caller has their own keys."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from l2c_app.api.idempotency import _claim, _sha
from l2c_app.api.idempotency_models import IdempotencyKey
from l2c_app.core.auth import create_api_key
from l2c_app.quotes.models import TaxRate
from tests.sales_fixtures import api_key, client, team  # noqa: F401


def _h(key: str, idem: str | None = None) -> dict:
    h = {"Authorization": f"Bearer {key}"}
    if idem is not None:
        h["Idempotency-Key"] = idem
    return h


def _rates(session) -> list[TaxRate]:
    session.expire_all()
    return list(session.exec(select(TaxRate)))


def test_a_retry_returns_the_first_answer_and_creates_nothing_twice(client, api_key, session):  # noqa: F811
    body = {"name": "VAT", "percent": "20"}
    first = client.post("/api/v1/tax-rates", json=body, headers=_h(api_key, "k-1"))
    again = client.post("/api/v1/tax-rates", json=body, headers=_h(api_key, "k-1"))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert len(_rates(session)) == 1
    # without a key, or with another key, each POST runs
    assert client.post("/api/v1/tax-rates", json=body, headers=_h(api_key, "k-2")).status_code == 201
    assert client.post("/api/v1/tax-rates", json=body, headers=_h(api_key)).status_code == 201
    assert len(_rates(session)) == 3


def test_same_key_with_another_body_is_422(client, api_key, session):  # noqa: F811
    assert (
        client.post("/api/v1/tax-rates", json={"name": "VAT", "percent": "20"}, headers=_h(api_key, "k")).status_code
        == 201
    )
    r = client.post("/api/v1/tax-rates", json={"name": "VAT", "percent": "21"}, headers=_h(api_key, "k"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "idempotency_key.reused"
    # and the same body on another path is another request too
    r = client.post("/api/v1/catalog-items", json={"name": "VAT", "percent": "20"}, headers=_h(api_key, "k"))
    assert r.status_code == 422
    assert len(_rates(session)) == 1


def test_errors_are_replayed_but_server_errors_are_not_saved(client, api_key, session):  # noqa: F811
    bad = {"name": "VAT", "percent": "200"}
    r1 = client.post("/api/v1/tax-rates", json=bad, headers=_h(api_key, "bad"))
    r2 = client.post("/api/v1/tax-rates", json=bad, headers=_h(api_key, "bad"))
    assert r1.status_code == r2.status_code == 422 and r1.json() == r2.json()
    assert r2.headers.get("idempotent-replayed") == "true"


def test_a_key_still_running_answers_409(client, api_key, session):  # noqa: F811
    body = b'{"name":"VAT","percent":"20"}'
    caller = _sha(f"Bearer {api_key}".encode())
    fingerprint = _sha(b"POST /api/v1/tax-rates?\n" + body)
    assert _claim(caller, "busy", fingerprint) is None  # a first request holds the key
    r = client.post(
        "/api/v1/tax-rates", content=body, headers={**_h(api_key, "busy"), "Content-Type": "application/json"}
    )
    assert r.status_code == 409 and r.headers["retry-after"] == "1"
    assert _rates(session) == []


def test_keys_expire_after_24_hours_and_belong_to_one_caller(client, api_key, session):  # noqa: F811
    body = {"name": "VAT", "percent": "20"}
    assert client.post("/api/v1/tax-rates", json=body, headers=_h(api_key, "old")).status_code == 201
    _, other = create_api_key(session, "another integration")
    session.commit()
    # another caller's same key is their own key
    assert client.post("/api/v1/tax-rates", json=body, headers=_h(other, "old")).status_code == 201
    assert len(_rates(session)) == 2
    row = session.exec(select(IdempotencyKey).where(IdempotencyKey.caller == _sha(f"Bearer {api_key}".encode()))).one()
    row.created_at = row.created_at - timedelta(hours=25)
    session.add(row)
    session.commit()
    assert client.post("/api/v1/tax-rates", json=body, headers=_h(api_key, "old")).status_code == 201
    assert len(_rates(session)) == 3


def test_a_bad_key_is_refused(client, api_key):  # noqa: F811
    r = client.post("/api/v1/tax-rates", json={"name": "VAT", "percent": "20"}, headers=_h(api_key, "x" * 300))
    assert r.status_code == 422 and r.json()["error"]["field"] == "Idempotency-Key"
