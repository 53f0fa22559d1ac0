"""CSV imports that survive a restart: the rows are stored first, then imported in chunks.

upload -> `create_job` (rows stored, nothing imported) -> `start_job` (mapping checked)
-> `run_chunk` until it returns False. Each chunk imports its rows AND records its
progress in the caller's one transaction, so `done_rows` always equals the rows
written. A job found `running` with no worker (the server restarted) is "interrupted":
`resume` carries on from `done_rows`.
"""

from __future__ import annotations

from sqlmodel import Session, select

from l2c_app.core.audit import Actor
from l2c_app.core.errors import DomainError, NotFound
from l2c_app.core.timeutil import utcnow
from l2c_app.leads import service as svc
from l2c_app.leads.models import ImportJob

CHUNK = 500
MAX_ROWS = 100_000  # an upload beyond this is refused: split the file


def create_job(session: Session, actor: Actor, *, kind: str, filename: str, raw: bytes) -> ImportJob:
    if kind not in ("leads", "contacts"):
        raise DomainError("Import as leads or contacts.", "kind")
    headers, rows = svc.parse_csv(raw)
    if len(rows) > MAX_ROWS:
        raise DomainError(
            f"The file has {len(rows):,} rows; import at most {MAX_ROWS:,} at a time.", "file", kind="too_large"
        )
    guess = svc.guess_contact_mapping if kind == "contacts" else svc.guess_mapping
    job = ImportJob(
        kind=kind,
        filename=(filename or "upload.csv")[:255],
        headers=headers,
        rows=rows,
        mapping=guess(headers),
        row_count=len(rows),
        created_by=actor.user_id,
    )
    session.add(job)
    session.flush()
    return job


def again(session: Session, job_id: int, actor: Actor) -> ImportJob:
    """A new job over the same stored rows (import a finished file again, e.g. as contacts)."""
    old = get_job(session, job_id, actor)
    job = ImportJob(
        kind=old.kind,
        filename=old.filename,
        headers=list(old.headers),
        rows=list(old.rows),
        mapping=dict(old.mapping),
        row_count=old.row_count,
        created_by=actor.user_id,
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: int, actor: Actor | None = None) -> ImportJob:
    job = session.get(ImportJob, job_id)
    if job is None or (actor is not None and actor.user_id is not None and job.created_by not in (None, actor.user_id)):
        raise NotFound("No such import.", "import_id")
    return job


def set_kind_and_mapping(session: Session, job_id: int, actor: Actor, kind: str, mapping: dict[str, str]) -> ImportJob:
    job = get_job(session, job_id, actor)
    if job.status != "uploaded":
        raise DomainError("This import has started; its mapping can no longer change.", "mapping", kind="conflict")
    if kind not in ("leads", "contacts"):
        raise DomainError("Import as leads or contacts.", "kind")
    job.kind, job.mapping, job.updated_at = kind, {k: v for k, v in mapping.items() if v}, utcnow()
    session.add(job)
    return job


def start_job(session: Session, job_id: int, actor: Actor) -> ImportJob:
    job = get_job(session, job_id, actor)
    if job.status != "uploaded":
        raise DomainError("This import has already started.", "import_id", kind="conflict")
    if not job.mapping.get("name") or (job.kind == "leads" and not job.mapping.get("email")):
        raise DomainError(
            "Map the Name and E-mail columns before importing."
            if job.kind == "leads"
            else "Map the Name column before importing.",
            "mapping",
        )
    job.status, job.updated_at = "running", utcnow()
    session.add(job)
    return job


def run_chunk(session: Session, job_id: int, actor: Actor) -> bool:
    """Import the next chunk and record its progress (one transaction). False when done."""
    job = session.exec(select(ImportJob).where(ImportJob.id == job_id).with_for_update()).one()
    if job.status != "running":
        return False
    start = job.done_rows
    rows = job.rows[start : start + CHUNK]
    if not rows:
        owners = {int(k): v for k, v in job.owners.items()}
        svc.notify_import(session, owners)
        job.status, job.updated_at = "done", utcnow()
        session.add(job)
        return False
    fn = svc.import_contacts_chunk if job.kind == "contacts" else svc.import_chunk
    result = fn(session, actor, job.headers, rows, job.mapping, start + 2)
    owners = dict(job.owners)
    for owner_id, count in result.owners.items():
        owners[str(owner_id)] = owners.get(str(owner_id), 0) + count
    job.done_rows = start + len(rows)
    job.imported += result.imported
    job.duplicates += result.duplicates
    job.errors = [*job.errors, *[list(e) for e in result.errors]]
    job.owners, job.updated_at = owners, utcnow()
    session.add(job)
    return True


def fail_job(session: Session, job_id: int, message: str) -> None:
    job = session.get(ImportJob, job_id)
    if job is not None and job.status == "running":
        job.error, job.status, job.updated_at = message[:2000], "failed", utcnow()
        session.add(job)


def resume(session: Session, job_id: int, actor: Actor) -> ImportJob:
    """Carry on an interrupted or failed import from the first row not yet written."""
    job = get_job(session, job_id, actor)
    if job.status not in ("running", "failed"):
        raise DomainError("Only an interrupted import can be resumed.", "import_id", kind="conflict")
    job.status, job.error, job.updated_at = "running", None, utcnow()
    session.add(job)
    return job


def unfinished_for(session: Session, user_id: int | None) -> ImportJob | None:
    """The newest import of this person that has not finished (to offer resume)."""
    return session.exec(
        select(ImportJob)
        .where(ImportJob.created_by == user_id, ImportJob.status.in_(("running", "failed")))  # type: ignore[attr-defined]
        .order_by(ImportJob.id.desc())
    ).first()  # type: ignore[union-attr]


def error_rows(job: ImportJob) -> list[tuple[int, str, str]]:
    return [(int(e[0]), str(e[1]), str(e[2])) for e in job.errors]
