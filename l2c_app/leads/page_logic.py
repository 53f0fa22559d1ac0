"""What the lead pages' state handlers do, as plain functions: the session work they run
through `run_db` and the small rules of their forms (filters, amounts, rules, column mappings).

leads/state.py keeps the fields and the events; it calls these. No Reflex here, so tests call
them without a browser.
"""

from __future__ import annotations

from urllib.parse import urlencode

from sqlmodel import Session

from l2c_app.core.audit import Actor
from l2c_app.core.auth import get_organisation, list_users
from l2c_app.core.money import to_minor
from l2c_app.leads import imports
from l2c_app.leads import rate_limit as lead_limit
from l2c_app.leads import service as svc

ALL = "all"  # a filter set to everything
SKIP = "-"  # a field mapped to no column of the file

# --- the contact form -------------------------------------------------------------------------


def public_capture(session: Session, form: dict, ip: str | None) -> None:
    """The public form's post: the same per-IP limit and `capture` as the public API."""
    rules = svc.lead_settings(session)
    wait = lead_limit.public_post_wait(ip, rules["rate_limit_per_minute"])
    if wait:
        raise svc.LeadError({"detail": f"Too many requests from your address. Try again in {wait} seconds."})
    svc.capture(session, form, trusted=False, ip=ip, actor=Actor("web", None, "contact form"), rules=rules)


# --- the Leads list ---------------------------------------------------------------------------


def export_url(q: str, status: str, owner: str, source: str, age: str) -> str:
    """The CSV export of the list as filtered (only the filters set go in the query string)."""
    given = {
        "q": q,
        "status": status,
        "owner": "" if owner == ALL else owner,
        "source": "" if source == ALL else source,
        "age": "" if age == ALL else age,
    }
    return "/api/v1/leads.csv?" + urlencode({k: v for k, v in given.items() if v})


def list_filters(q: str, status: str, owner: str, source: str, age: str) -> dict:
    """The list's filters as `leads.service.list_leads` arguments."""
    return dict(
        q=q,
        status="" if status == ALL else status,
        owner_id=int(owner) if owner not in (ALL, "") else None,
        source="" if source == ALL else source,
        age="" if age == ALL else age,
    )


def lead_detail(session: Session, lead_id: int, tz: str) -> dict:
    lead = svc.get_lead(session, lead_id)
    return svc.lead_row(lead, {u.id: u for u in list_users(session)}, tz)


def org_currency(session: Session) -> str:
    org = get_organisation(session)
    return org.currency if org else "EUR"


def deal_value(text: str | None, currency: str) -> int:
    """The convert dialog's deal value in minor units (empty is 0); ValueError/ArithmeticError if not an amount."""
    return to_minor(text or "0", currency) if (text or "").strip() else 0


# The transitions return nothing: the state holds no ORM rows.
def assign(session: Session, actor: Actor, lead_id: int, owner_id: int) -> None:
    svc.assign(session, actor, lead_id, owner_id)


def qualify(session: Session, actor: Actor, lead_id: int) -> None:
    svc.qualify(session, actor, lead_id)


def disqualify(session: Session, actor: Actor, lead_id: int, reason: str) -> None:
    svc.disqualify(session, actor, lead_id, reason)


def convert(session: Session, actor: Actor, lead_id: int, value: int, title: str | None) -> int:
    return svc.convert(session, actor, lead_id, value_minor=value, title=title).id


def merge(session: Session, actor: Actor, primary_id: int, dup_id: int) -> None:
    svc.merge(session, actor, primary_id, dup_id)


# --- lead settings ----------------------------------------------------------------------------


def rules_from_settings(by_source: dict) -> list[dict]:
    """Stored assignment rules as the page's rows ({"source", "user" as a string})."""
    return [{"source": k, "user": str(v)} for k, v in by_source.items()]


def rules_by_source(rules: list[dict]) -> dict[str, int]:
    """The page's rule rows back to the stored shape; a row without a source or a user is dropped."""
    return {r["source"]: int(r["user"]) for r in rules if r["source"] and r["user"]}


# --- CSV import -------------------------------------------------------------------------------


def import_fields(kind: str) -> list[str]:
    return list(svc.CONTACT_FIELDS if kind == "contacts" else svc.IMPORT_FIELDS)


def guessed_mapping(kind: str, headers: list[str]) -> dict[str, str]:
    """Each field's guessed column of the file, SKIP where none fits."""
    guess = svc.guess_contact_mapping if kind == "contacts" else svc.guess_mapping
    return {f: (h or SKIP) for f, h in guess(headers).items()}


def chosen_mapping(mapping: dict[str, str]) -> dict[str, str]:
    """The page's mapping as the import takes it: SKIP becomes no column."""
    return {f: (h if h != SKIP else "") for f, h in mapping.items()}


def preview(headers: list[str], rows: list[list[str]], mapping: dict[str, str]) -> list[dict]:
    """The first five rows as they would be imported."""
    return [svc.map_row(headers, r, chosen_mapping(mapping)) for r in rows[:5]]


def job_summary(job, preview: bool = False) -> dict | None:
    """Plain figures of an import job for the page (state holds no ORM rows)."""
    if job is None:
        return None
    out = {
        "id": job.id,
        "kind": job.kind,
        "filename": job.filename,
        "row_count": job.row_count,
        "done_rows": job.done_rows,
        "imported": job.imported,
        "duplicates": job.duplicates,
        "error_rows": len({e[0] for e in job.errors}),
        "headers": list(job.headers),
        "mapping": {f: (job.mapping.get(f) or SKIP) for f in import_fields(job.kind)},
    }
    if preview:
        out["preview_rows"] = [list(r) for r in job.rows[:5]]
    return out


def interrupted_import(session: Session, user_id: int) -> dict | None:
    """The viewer's import that stopped before its end, if any."""
    return job_summary(imports.unfinished_for(session, user_id))


def interrupted_text(job: dict) -> str:
    return (
        f"The import of {job['filename']} stopped after {job['done_rows']:,} of "
        f"{job['row_count']:,} rows ({job['imported']:,} imported). "
        "Resume it to import the remaining rows; rows already written are "
        "not imported again."
    )


def upload_job(session: Session, actor: Actor, kind: str, filename: str, raw: bytes) -> dict | None:
    """Store the uploaded file's rows as a job; its summary with the preview rows."""
    return job_summary(imports.create_job(session, actor, kind=kind, filename=filename, raw=raw), preview=True)


def begin_import(session: Session, job_id: int, actor: Actor, kind: str, mapping: dict[str, str]) -> int:
    """Start the job with the page's kind and mapping; the id of the job that runs."""
    # The same file again (e.g. as contacts after leads): a new job over the stored rows.
    started = imports.get_job(session, job_id, actor).status != "uploaded"
    jid = imports.again(session, job_id, actor).id if started else job_id
    return imports.start_job(session, imports.set_kind_and_mapping(session, jid, actor, kind, mapping).id, actor).id


def resume_job(session: Session, job_id: int, actor: Actor) -> dict | None:
    return job_summary(imports.resume(session, job_id, actor), preview=True)


def job_progress(session: Session, job_id: int) -> dict | None:
    return job_summary(imports.get_job(session, job_id))


def import_errors(session: Session, job_id: int, actor: Actor) -> list[tuple[int, str, str]]:
    return imports.error_rows(imports.get_job(session, job_id, actor))
