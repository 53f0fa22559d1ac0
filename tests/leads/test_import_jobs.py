"""CSV imports survive a restart: rows are stored before processing, and an interrupted
import resumes from exactly the first row not yet written."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from l2c_app.core.audit import Actor
from l2c_app.core.errors import DomainError
from l2c_app.leads import imports
from l2c_app.leads.models import ImportJob, Lead


def _csv(n: int, bad_every: int = 0) -> bytes:
    lines = ["Name,Email,Company"]
    for i in range(n):
        email = "not-an-email" if bad_every and i % bad_every == 0 else f"person{i}@firm{i}.test"
        lines.append(f"Person {i},{email},Firm {i}")
    return ("\n".join(lines) + "\n").encode()


def _leads(session) -> int:
    return session.exec(select(func.count()).select_from(Lead)).one()


def test_rows_are_stored_on_upload_and_nothing_imported_before_start(session, team):
    actor = Actor("user", team.owner.id)
    job = imports.create_job(session, actor, kind="leads", filename="fair.csv", raw=_csv(7))
    session.commit()
    stored = session.get(ImportJob, job.id)
    assert stored.row_count == 7 and len(stored.rows) == 7 and stored.status == "uploaded"
    assert stored.mapping["name"] == "Name" and stored.mapping["email"] == "Email"
    assert _leads(session) == 0


def test_an_interrupted_import_resumes_where_it_stopped_and_writes_no_row_twice(session, team, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 4)
    actor = Actor("user", team.owner.id)
    job = imports.create_job(session, actor, kind="leads", filename="big.csv", raw=_csv(10, bad_every=5))
    imports.start_job(session, job.id, actor)
    session.commit()
    assert imports.run_chunk(session, job.id, actor) is True  # rows 1-4 written with their progress
    session.commit()
    # The server dies here: the background task is gone, the job says "running".
    session.expire_all()
    found = imports.unfinished_for(session, team.owner.id)
    assert found is not None and found.id == job.id and found.done_rows == 4
    assert _leads(session) == found.imported == 3  # row 0 is bad (1 error), rows 1-3 imported
    imports.resume(session, job.id, actor)
    while imports.run_chunk(session, job.id, actor):
        session.commit()
    session.commit()
    done = session.get(ImportJob, job.id)
    assert done.status == "done" and done.done_rows == 10
    assert done.imported == 8 and _leads(session) == 8  # 10 rows, 2 bad: nothing imported twice
    assert sorted(e[0] for e in imports.error_rows(done)) == [2, 7]  # CSV row numbers (header is row 1)
    assert imports.unfinished_for(session, team.owner.id) is None


def test_a_failed_chunk_rolls_back_with_its_progress(session, team, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 3)
    actor = Actor("user", team.owner.id)
    job = imports.create_job(session, actor, kind="leads", filename="x.csv", raw=_csv(6))
    imports.start_job(session, job.id, actor)
    session.commit()
    assert imports.run_chunk(session, job.id, actor)
    session.commit()

    def boom(*_a, **_k):
        raise RuntimeError("database went away")

    monkeypatch.setattr(imports.svc, "import_chunk", boom)
    with pytest.raises(RuntimeError):
        imports.run_chunk(session, job.id, actor)
    session.rollback()
    imports.fail_job(session, job.id, "database went away")
    session.commit()
    failed = session.get(ImportJob, job.id)
    assert failed.status == "failed" and failed.done_rows == 3 and _leads(session) == 3


def test_mapping_and_start_are_checked(session, team):
    actor = Actor("user", team.owner.id)
    job = imports.create_job(session, actor, kind="leads", filename="x.csv", raw=b"Who,Where\nA,B\n")
    with pytest.raises(DomainError, match="Map the Name and E-mail"):
        imports.start_job(session, job.id, actor)
    imports.set_kind_and_mapping(session, job.id, actor, "contacts", {"name": "Who"})
    imports.start_job(session, job.id, actor)
    with pytest.raises(DomainError) as err:
        imports.set_kind_and_mapping(session, job.id, actor, "leads", {"name": "Who"})
    assert err.value.kind == "conflict"
    other = Actor("user", team.owner.id + 999)
    with pytest.raises(DomainError) as err:
        imports.get_job(session, job.id, other)
    assert err.value.kind == "not_found"


def test_a_finished_file_can_be_imported_again_as_contacts(session, team):
    actor = Actor("user", team.owner.id)
    job = imports.create_job(session, actor, kind="leads", filename="x.csv", raw=_csv(3))
    imports.start_job(session, job.id, actor)
    while imports.run_chunk(session, job.id, actor):
        pass
    again = imports.again(session, job.id, actor)
    imports.set_kind_and_mapping(session, again.id, actor, "contacts", {"name": "Name", "email": "Email"})
    imports.start_job(session, again.id, actor)
    while imports.run_chunk(session, again.id, actor):
        pass
    assert again.id != job.id and session.get(ImportJob, again.id).imported == 3
    assert session.get(ImportJob, job.id).status == "done"  # the first import is left as it was
