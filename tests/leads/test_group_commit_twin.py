"""Twin of the group-commit fast path (leads/group_commit.py): the same posts written as one
batch (side rows queued and written one executemany per table before the commit, the rotation
kept in memory: core/row_writes.collect_rows) and lead by lead (one transaction each, every row
its own INSERT, the rotation read per lead) store the same rows: leads (owners, duplicate
flags), audit, timeline, notifications, outbox e-mail, domain events and the outbound webhook
deliveries the events fan out to (they carry the event's id)."""

from __future__ import annotations

import re

from sqlalchemy import event, text
from sqlmodel import Session

from l2c_app.core.audit import SYSTEM, Actor
from l2c_app.core.db import engine_for
from l2c_app.leads import group_commit
from l2c_app.leads import service as svc
from l2c_app.leads.api import _batched
from l2c_app.webhooks_out import service as webhooks

WEB = Actor("web", None, "contact form")
TABLES = ("lead", "auditlog", "activity", "notification", "outboxmessage", "domain_event", "webhookdelivery")
LEAD_IDS = r"""(lead=|lead #|\\?["'](lead_id|id|entity_id|subject_id|duplicate_of_lead_id)\\?["'](, |: ?))(\d+)"""
CONTACT_IDS = r"""(\\?["']duplicate_of_contact_id\\?["'](?:, |: ?))(\d+)"""
MOMENTS = {"at", "created_at", "updated_at", "done_at", "next_attempt_at", "give_up_at"}


def _posts(team) -> list[tuple[dict, bool]]:
    """(body, trusted): new leads, duplicates by e-mail and by domain inside the batch (the
    duplicate goes to the original's owner), a free-mail address, a lead an API key gives to the
    org owner (outside the rotation) and one it gives to a rotation user (the rotation goes on
    after them)."""
    return [
        ({"name": "Ann", "email": "ann@globex.test", "company": "Globex", "consent": "on"}, False),
        ({"name": "Bo", "email": "bo@initech.test", "message": "Hi"}, False),
        ({"name": "Al", "email": "al@globex.test", "company": "Globex"}, False),  # same domain as Ann
        ({"name": "Gail", "email": "gail@gmail.com", "phone": "+33 1 23"}, False),
        ({"name": "Ann B", "email": "ANN@globex.test"}, False),  # same e-mail as Ann
        ({"name": "Own", "email": "own@umbrella.test", "owner_email": team.owner.email, "source": "api"}, True),
        ({"name": "Cy", "email": "cy@hooli.test"}, False),
        ({"name": "Sam's", "email": "s@piedpiper.test", "owner_email": team.sam.email}, True),
        ({"name": "Di", "email": "di@vandelay.test"}, False),
        ({"name": "Bo 2", "email": "bo2@initech.test"}, False),  # same domain as Bo
        ({"name": "Ed", "email": "ed@wonka.test"}, False),
        # against rows stored before the batch (`_world`): read by the batch's prefetch
        ({"name": "Zed 2", "email": "zed@convert.test"}, False),  # a contact's e-mail (its lead converted)
        ({"name": "Yan", "email": "yan@convert.test"}, False),  # the domain of that contact's account
        ({"name": "Mo", "email": "mo@many.test"}, False),  # a domain with 11 open leads already
        ({"name": "Mo 2", "email": "m0@many.test"}, False),  # the e-mail of the first of them
        ({"name": "Dee", "email": "dee@gone.test"}, False),  # a disqualified lead's e-mail: not open
        ({"name": "Mo 3", "email": "mo@many.test"}, False),  # the same e-mail as a lead of this batch
    ]


def _run(run: str) -> callable:
    def addr(email: str) -> str:
        return email.replace("@", f"+{run}@").replace(".test", f"-{run}.test")

    return addr


def _world(db_url: str, team, run: str) -> int:
    """Rows stored before the run, through the services: a lead converted (its contact and
    account), 11 open leads of one domain, a disqualified lead; the world's first contact id."""
    addr = _run(run)
    with Session(engine_for(db_url)) as s:
        zed = svc.capture(s, {"name": "Zed", "email": addr("zed@convert.test"), "company": "Convert"}).lead
        s.flush()
        deal = svc.convert(s, SYSTEM, zed.id, title="Convert")
        for i in range(11):
            svc.capture(s, {"name": f"M{i}", "email": addr(f"m{i}@many.test")})
        dee = svc.capture(s, {"name": "Dee", "email": addr("dee@gone.test")}).lead
        s.flush()
        svc.disqualify(s, SYSTEM, dee.id, "spam")
        s.commit()
        return deal.contact_id


def _normalised(db_url: str, first: dict[str, int], run: str, first_contact: int) -> dict[str, list[str]]:
    """The rows written since `first`, ids relative to each table's first new row (lead ids in
    links, payloads and flags relative to the run's first lead), times dropped, the run's
    addresses mapped back."""
    base = first["lead"]
    event_base = first["domain_event"]
    out: dict[str, list[str]] = {}
    with Session(engine_for(db_url)) as s:
        for table in TABLES:
            rows = s.execute(text(f"SELECT * FROM {table} WHERE id >= :f ORDER BY id"), {"f": first[table]})
            found = []
            for row in rows.mappings():
                row = {k: v for k, v in row.items() if k not in MOMENTS and k != "id"}
                blob = repr(sorted(row.items()))
                blob = re.sub(r"""(["'](created_at|updated_at)["']: )["'][^"']*["']""", r"\1T", blob)
                blob = re.sub(r"""(\\?["']timestamp\\?["']: ?)\\?["']?[^,}]*""", r"\1T", blob)
                blob = re.sub(LEAD_IDS, lambda m: f"{m[1]}+{int(m[4]) - base}", blob)
                blob = re.sub(CONTACT_IDS, lambda m: f"{m[1]}+{int(m[2]) - first_contact}", blob)
                blob = re.sub(r"evt_(\d+)", lambda m: f"evt_+{int(m[1]) - event_base}", blob)
                blob = blob.replace(f"-{run}.test", ".test").replace(f"+{run}@", "@")
                found.append(blob)
            out[table] = found
    return out


def _next_ids(db_url: str) -> dict[str, int]:
    with Session(engine_for(db_url)) as s:
        return {t: (s.execute(text(f"SELECT max(id) FROM {t}")).scalar() or 0) + 1 for t in TABLES}


def _works(team, run: str) -> list:
    addr = _run(run)
    return [
        _batched({**body, "email": addr(body["email"])}, trusted, f"203.0.113.{i}", WEB)
        for i, (body, trusted) in enumerate(_posts(team))
    ]


def _start_rotation(db_url: str, team) -> None:
    """Both runs start from the same place in the rotation: the newest rotation lead is Sofia's."""
    with Session(engine_for(db_url)) as s:
        svc.capture(s, {"name": "Seed", "email": f"seed{_next_ids(db_url)['lead']}@seed.test",
                        "owner_email": team.sofia.email}, trusted=True)  # fmt: skip
        s.commit()


def _lead_by_lead(db_url: str, works: list) -> list:
    out = []
    for work in works:
        with Session(engine_for(db_url), expire_on_commit=False) as s:
            out.append(work(s))
            s.commit()
    return out


def test_a_batch_writes_the_rows_captures_one_by_one_write(session, team, db_url, monkeypatch):
    from l2c_app.core.config import reset_settings

    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "1")
    reset_settings()
    svc.save_lead_settings(
        session, Actor("user", team.owner.id), mode="round_robin", users=[team.sam.id, team.sofia.id],
        by_source={}, consent_text="ok",
    )  # fmt: skip
    webhooks.create_endpoint(session, SYSTEM, url="https://127.0.0.1:9/in", event_types=["lead.created"])
    session.commit()

    contact = _world(db_url, team, "one")
    _start_rotation(db_url, team)
    first = _next_ids(db_url)
    one_by_one = _lead_by_lead(db_url, _works(team, "one"))
    reference = _normalised(db_url, first, "one", contact)

    contact = _world(db_url, team, "batch")
    _start_rotation(db_url, team)
    first = _next_ids(db_url)
    statements: list[str] = []
    engine = engine_for(db_url)
    count = lambda *args: statements.append(args[2])  # noqa: E731  (before_cursor_execute's statement)
    event.listen(engine, "before_cursor_execute", count)
    try:
        outcomes = group_commit.run_batch(_works(team, "batch"))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [err for _, err in outcomes] == [None] * len(outcomes)
    batched = _normalised(db_url, first, "batch", contact)

    n = len(_posts(team))
    # flagged: Al, Ann B, Bo 2 (leads of the batch), Zed 2 (a contact), Yan (Zed 2's domain), Mo, Mo 2
    # (the first of the 11 leads stored before), Mo 3 (Mo: the same e-mail wins over the domain);
    # Dee is new (the lead with her e-mail is disqualified)
    assert [len(reference[t]) for t in TABLES] == [n, n, 8, n, n, n, n]
    flags = [re.search(r"Flagged as a possible duplicate of ([^'\"]+)", row)[1] for row in reference["activity"]]
    before, batch = "lead #+-13", ["lead #+0", "lead #+0", "lead #+1"]
    assert flags == [*batch, "contact Zed", "lead #+11", before, before, "lead #+13"], flags
    owners = [re.search(r"'owner_id', (\w+)", row)[1] for row in reference["lead"]]
    assert len(set(owners)) == 3  # the rotation (Sam, Sofia) and the org owner
    for table in TABLES:
        assert batched[table] == reference[table], table
    # The batch's own statements do not grow with its captures (leads/batch_dedupe.py): one for
    # dedupe and the rotation (and the ids on PostgreSQL; SQLite: 2 more, the write lock and
    # max(id)), an executemany per table (6). The outbound webhooks' fan-out (a subscriber of each
    # event) is per event, two statements each; the process caches (settings, people, endpoints:
    # leads/rules_cache.py) may be read again, 3 more.
    own = [s for s in statements if "webhookdelivery" not in s]
    assert len(own) <= 12 < n, "\n".join(s[:70].replace("\n", " ") for s in own)
    assert [r["status"] for r, _ in outcomes] == [r["status"] for r in one_by_one]
    assert [r["id"] - outcomes[0][0]["id"] for r, _ in outcomes] == [r["id"] - one_by_one[0]["id"] for r in one_by_one]
