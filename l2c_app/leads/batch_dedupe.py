"""Dedupe and lead ids for a group-commit batch of captures (leads/group_commit.py), without a
statement per lead.

Captured one by one, a lead costs three statements in the writer: the open leads with its
e-mail or domain, the contacts with its e-mail or its domain's account (capture.find_duplicate)
and its own INSERT (for its id). In a batch that was most of the writer's time (each statement's
cost in SQLAlchemy and, on PostgreSQL, a round trip). Here:

- `prefetch` reads, in two statements for the whole batch, exactly what `find_duplicate`'s two
  queries would read for each of the batch's keys: per e-mail and per domain the first 10 open
  leads by id, per e-mail the first contact, per domain the first contact of its first account;
- the batch's own new leads are kept in memory as they are captured (`add`), and `find` merges
  them with the prefetched rows by id, keeping the first 10 as the query would: a later lead of
  the batch sees the earlier ones exactly as if they had been inserted (nothing else in a batch
  writes leads, contacts or accounts);
- `next_id` hands out the new leads' ids, so the lead row can be queued and written with the
  side rows (one executemany per table before the commit: core/row_writes.collect_rows).
  PostgreSQL: from the table's sequence, all of the batch's in one statement. SQLite: the
  database's write lock is taken first, then ids follow max(id), the rowid SQLite itself gives
  (the table has no AUTOINCREMENT); no other writer can insert until the commit. Should one
  still collide, the batch fails on the INSERT and its captures are written one by one.

tests/leads/test_group_commit_twin.py holds the rows of a batch to those of captures one by one.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, NamedTuple

from sqlalchemy import text
from sqlmodel import Session

from l2c_app.leads.common import OPEN_STATUSES, pick_duplicate

Key = tuple[str, str | None]  # (lower-case e-mail, company domain or None)
LIMIT = 10  # as find_duplicate: the first 10 open leads by id per e-mail and per domain

_OPEN = ", ".join(f"'{s}'" for s in OPEN_STATUSES)  # constants, as in capture._dedupe_statements


# Every statement here returns (src, k, id, email, email_domain, duplicate_of_lead_id, owner_id, name):
# src 0 an open lead, 1 a contact, 2 a new lead id (PostgreSQL), 3 in `id` the owner of the newest
# lead of the rotation's users (capture.choose_owner's query); k the key's position, e-mails
# first, then domains. One round trip for all of a batch's reads.
_LEAD_COLS = "l.id, l.email, l.email_domain, l.duplicate_of_lead_id, l.owner_id, NULL"
_CONTACT_COLS = "c.id, c.email, NULL, NULL, NULL, c.name"
_FIRST_ACCOUNT = "(SELECT id FROM account WHERE domain = {v} ORDER BY id LIMIT 1)"


@functools.lru_cache(maxsize=512)
def _sqlite_sql(n_email: int, n_domain: int, n_pool: int) -> Any:
    """SQLite (no LATERAL): a UNION of one indexed lookup per key, built per shape and kept."""
    parts = []
    if n_pool:
        newest = " UNION ALL ".join(
            f"SELECT (SELECT id FROM lead WHERE owner_id = :u{i} ORDER BY id DESC LIMIT 1) AS m" for i in range(n_pool)
        )
        owner = f"(SELECT owner_id FROM lead WHERE id = (SELECT max(m) FROM ({newest})))"
        parts.append(f"SELECT 3, 0, {owner}, NULL, NULL, NULL, NULL, NULL")
    for k in range(n_email + n_domain):
        column = "email" if k < n_email else "email_domain"
        parts.append(
            f"SELECT 0, {k}, {_LEAD_COLS} FROM (SELECT id FROM lead WHERE {column} = :k{k} "
            f"AND status IN ({_OPEN}) ORDER BY id LIMIT {LIMIT}) AS s JOIN lead AS l ON l.id = s.id"
        )
        where = f"email = :k{k}" if k < n_email else "account_id = " + _FIRST_ACCOUNT.format(v=f":k{k}")
        parts.append(
            f"SELECT 1, {k}, {_CONTACT_COLS} FROM (SELECT id FROM contact WHERE {where} ORDER BY id LIMIT 1) AS s "
            "JOIN contact AS c ON c.id = s.id"
        )
    return text(" UNION ALL ".join(parts))


# PostgreSQL: one statement whatever the batch (the keys as arrays; psycopg prepares it once), a
# lookup per key through LATERAL, and the batch's new lead ids from the table's sequence.
_PG_SQL = text(
    f"""
SELECT 0, k.i - 1, {_LEAD_COLS} FROM unnest(CAST(:emails AS text[])) WITH ORDINALITY AS k(v, i)
  CROSS JOIN LATERAL (SELECT id FROM lead WHERE email = k.v AND status IN ({_OPEN}) ORDER BY id LIMIT {LIMIT}) AS s
  JOIN lead AS l ON l.id = s.id
UNION ALL
SELECT 0, :ne + k.i - 1, {_LEAD_COLS} FROM unnest(CAST(:domains AS text[])) WITH ORDINALITY AS k(v, i)
  CROSS JOIN LATERAL (SELECT id FROM lead WHERE email_domain = k.v AND status IN ({_OPEN})
                      ORDER BY id LIMIT {LIMIT}) AS s
  JOIN lead AS l ON l.id = s.id
UNION ALL
SELECT 1, k.i - 1, {_CONTACT_COLS} FROM unnest(CAST(:emails AS text[])) WITH ORDINALITY AS k(v, i)
  CROSS JOIN LATERAL (SELECT id FROM contact WHERE email = k.v ORDER BY id LIMIT 1) AS s
  JOIN contact AS c ON c.id = s.id
UNION ALL
SELECT 1, :ne + k.i - 1, {_CONTACT_COLS} FROM unnest(CAST(:domains AS text[])) WITH ORDINALITY AS k(v, i)
  CROSS JOIN LATERAL (SELECT id FROM contact WHERE account_id = {_FIRST_ACCOUNT.format(v="k.v")}
                      ORDER BY id LIMIT 1) AS s
  JOIN contact AS c ON c.id = s.id
UNION ALL
SELECT 2, 0, nextval(pg_get_serial_sequence('lead', 'id')), NULL, NULL, NULL, NULL, NULL
  FROM generate_series(1, :ids)
UNION ALL
SELECT 3, 0, (SELECT owner_id FROM lead WHERE id = (
    SELECT max((SELECT id FROM lead WHERE owner_id = u ORDER BY id DESC LIMIT 1))
    FROM unnest(CAST(:pool AS integer[])) AS u)), NULL, NULL, NULL, NULL, NULL
"""
)


class _Found(NamedTuple):
    """A lead or a contact as find_duplicate's callers read it."""

    id: int
    email: str | None
    email_domain: str | None
    duplicate_of_lead_id: int | None
    owner_id: int | None
    name: str | None


class BatchDedupe:
    """What the batch's captures need to dedupe without a query each; see the module's text."""

    def __init__(self) -> None:
        self.leads_by_email: dict[str, list[Any]] = {}
        self.leads_by_domain: dict[str, list[Any]] = {}
        self.contact_by_email: dict[str, Any] = {}
        self.contact_by_domain: dict[str, Any] = {}
        self.ids: list[int] = []
        self.last_id = 0  # the last id handed out (SQLite: the next ones follow it, not max(id))
        self.expected = 0  # how many captures the batch holds: ids are allocated for all at once
        self.handed = 0
        self.generic = False  # PostgreSQL: this transaction plans prepared statements generically

    def prefetch(self, session: Session, keys: Iterable[Key], pool: list[int] | None = None) -> int | None:
        """Read what the keys' dedupe needs; with `pool` (the rotation's users), also the owner
        of their newest lead, returned (None without a pool or a lead)."""
        emails = sorted({e for e, _ in keys} - self.leads_by_email.keys())
        domains = sorted({d for _, d in keys if d} - self.leads_by_domain.keys())
        pool = pool or []
        if not emails and not domains and not pool:
            return None
        for e in emails:
            self.leads_by_email[e] = []
        for d in domains:
            self.leads_by_domain[d] = []
        names = emails + domains
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            if not self.generic:
                # PostgreSQL kept planning this statement anew at each execution (0.5 ms of its
                # 0.75: it judged the generic plan, with its parameters unknown, costlier); the
                # generic plan is the right one whatever the keys. For this transaction only.
                conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
                self.generic = True
            want = 0 if self.ids else max(1, self.expected - self.handed)  # the batch's ids come along
            params = {"emails": emails, "domains": domains, "ne": len(emails), "ids": want, "pool": pool}
            rows = conn.execute(_PG_SQL, params).all()
        else:
            params = {f"k{k}": v for k, v in enumerate(names)} | {f"u{i}": u for i, u in enumerate(pool)}
            rows = conn.execute(_sqlite_sql(len(emails), len(domains), len(pool)), params).all()
        n_email = len(emails)
        last_owner = None
        for src, k, *row in rows:
            if src == 2:
                self.ids.append(int(row[0]))
                continue
            if src == 3:
                last_owner = row[0]
                continue
            found = _Found(*row)
            if src == 0:
                (self.leads_by_email if k < n_email else self.leads_by_domain)[names[k]].append(found)
            else:
                (self.contact_by_email if k < n_email else self.contact_by_domain)[names[k]] = found
        self.ids.sort()
        for key in names:
            for bucket in (self.leads_by_email, self.leads_by_domain):
                if key in bucket:
                    bucket[key].sort(key=lambda r: r.id)
        return last_owner

    def find(self, session: Session, email: str, domain: str | None) -> tuple[Any, Any]:
        """What capture.find_duplicate answers for (email, domain) at this point of the batch."""
        if email not in self.leads_by_email or (domain and domain not in self.leads_by_domain):
            self.prefetch(session, [(email, domain)])  # a key the batch did not announce
        domain_rows = self.leads_by_domain[domain][:LIMIT] if domain else []

        def contacts(with_domain: bool) -> tuple[Any, Any]:
            by_domain = self.contact_by_domain.get(domain) if domain and with_domain else None
            return self.contact_by_email.get(email), by_domain

        return pick_duplicate(self.leads_by_email[email][:LIMIT], domain_rows, contacts)

    def add(self, lead: Any) -> None:
        """A lead of this batch, now seen by the later ones (it is new, so open)."""
        for bucket, key in ((self.leads_by_email, lead.email), (self.leads_by_domain, lead.email_domain)):
            if key and key in bucket:
                rows = bucket[key]
                rows.append(lead)
                if len(rows) > 1 and rows[-2].id > lead.id:
                    rows.sort(key=lambda r: r.id)

    def next_id(self, session: Session) -> int:
        if not self.ids:
            self.ids = _allocate(session, max(1, self.expected - self.handed), self.last_id)
        self.last_id = self.ids.pop(0)
        self.handed += 1
        return self.last_id


def _allocate(session: Session, n: int, after: int) -> list[int]:
    """`n` new lead ids, ascending, above `after` (the batch's ids so far; see the module's text)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            text("SELECT nextval(pg_get_serial_sequence('lead', 'id')) FROM generate_series(1, :n)"), {"n": n}
        )
        return sorted(int(r[0]) for r in rows)
    conn.execute(text("UPDATE organisation SET id = id WHERE id = -1"))  # SQLite: the write lock, now
    top = max(int(conn.execute(text("SELECT coalesce(max(id), 0) FROM lead")).scalar_one()), after)
    return list(range(top + 1, top + 1 + n))
