"""The typed quote routes of `api_catalog` answer the same JSON as before: the staff view key
for key as `GET /api/v1/quotes/{id}` (still the raw `quote_view`), the public view as
`public_view` (no `notice` key unless the version is superseded). Both databases."""

import json

from fastapi.encoders import jsonable_encoder
from sqlmodel import Session

from l2c_app.core.db import engine_for
from l2c_app.quotes import service as svc

from .test_api import api, new_quote  # noqa: F401


def test_typed_answers_equal_the_views(api, db_url):  # noqa: F811
    client, w, _ = api
    q = new_quote(client, w).json()
    ids = [ln["id"] for ln in q["lines"]]
    moved = client.put(f"/api/v1/quotes/{q['id']}/lines/order", json={"line_ids": ids[::-1]})
    assert moved.status_code == 200, moved.text
    assert moved.json() == client.get(f"/api/v1/quotes/{q['id']}").json()
    assert set(moved.json()) >= {"versions", "owner_id", "public_url", "accepted_ip"}
    sent = client.post(f"/api/v1/quotes/{q['id']}/send").json()
    token = sent["public_url"].rsplit("/", 1)[1]
    public = client.get(f"/api/public/quotes/{token}")
    assert public.status_code == 200, public.text
    with Session(engine_for(db_url)) as s:
        raw = json.loads(json.dumps(jsonable_encoder(svc.public_view(s, token))))
    assert public.json() == raw and "notice" not in raw and "versions" not in raw
