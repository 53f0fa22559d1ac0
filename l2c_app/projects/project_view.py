"""The project list and a project's page as display rows: figures formatted once here
(money, hours, burn and its colour) so the pages only place strings. Read in one session
through `run_db`; the states run no query."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from l2c_app.core.money import format_money
from l2c_app.projects import service as svc
from l2c_app.projects.duration import format_hours


def level_color(level: str) -> str:
    return {"over": "red", "warning": "orange", "ok": "green"}.get(level, "gray")


def fmt_burn(burn: int | None) -> str:
    return "–" if burn is None else f"{burn}%"


def detail_view(session: Session, project_id: int) -> dict:
    d = svc.project_detail(session, project_id)
    cur = d["currency"]
    money = lambda m: format_money(m, cur)  # noqa: E731
    b = d["budget"]
    lines = [
        {
            "role": r["role"] + (" (change order)" if r["from_change_order"] else ""),
            "budget_hours": format_hours(r["budget_minutes"]),
            "actual_hours": format_hours(r["actual_minutes"]),
            "budget_money": money(r["budget_minor"]),
            "actual_money": money(r["actual_minor"]),
            "rate": money(r["rate_minor"]) + " / h",
            "burn": fmt_burn(r["burn"]),
            "color": level_color(r["level"]),
        }
        for r in b["lines"]
    ]
    if b["unplanned_minutes"]:
        lines.append(
            {
                "role": "Outside the budget lines",
                "budget_hours": "–",
                "actual_hours": format_hours(b["unplanned_minutes"]),
                "budget_money": "–",
                "actual_money": money(b["unplanned_minor"]),
                "rate": "",
                "burn": "–",
                "color": "gray",
            }
        )
    t = b["total"]
    total = {
        "budget_hours": format_hours(t["budget_minutes"]),
        "actual_hours": format_hours(t["actual_minutes"]),
        "budget_money": money(t["budget_minor"]),
        "actual_money": money(t["actual_minor"]),
        "burn": fmt_burn(t["burn"]),
        "color": level_color(t["level"]),
    }
    team = [
        {
            "name": m["name"] + (" (lead)" if m["is_lead"] else ""),
            "email": m["email"],
            "role": m["billing_role"] or "–",
            "rate": money(m["rate_minor"]) + " / h" if m["rate_minor"] else "–",
        }
        for m in d["team"]
    ]
    milestones = [
        {
            "id": str(m["id"]),
            "name": m["name"],
            "kind": "Fixed fee" if m["kind"] == "fixed" else "Milestone",
            "amount": money(m["amount_minor"]),
            "due": m["due_date"] or "–",
            "status": m["status"],
            "reached_on": m["reached_on"] or "",
        }
        for m in d["milestones"]
    ]
    retainers = [
        {
            "id": str(r["id"]),
            "email": "1" if r["email_invoices"] else "",
            "name": r["name"],
            "amount": money(r["amount_minor"]) + " / month",
            "term": f"{r['months']} months" if r["months"] else "until stopped",
            "planned": money(r["planned_minor"]),
            "start": r["start_date"],
        }
        for r in d["retainers"]
    ]
    cos = [
        {
            "id": str(c["id"]),
            "number": f"#{c['number']}",
            "description": c["description"],
            "kind": "Fixed price" if c["kind"] == "fixed" else f"{format_hours(c['minutes'])} {c['role'] or ''}",
            "amount": money(c["amount_minor"]),
            "status": c["status"],
            "url": c["public_url"],
            "tax": money(c["tax_minor"]) + f" ({c['tax_percent']} %" + (" incl.)" if c["tax_inclusive"] else ")"),
            "total": money(c["total_minor"]),
            "via": "docusign" if c["provider"] == "docusign" else "link",
            "approved": f"{c['approved_name']}, {c['approved_at'][:10]}" if c["approved_name"] else "",
        }
        for c in d["change_orders"]
    ]
    head = {
        "name": d["name"],
        "status": d["status"],
        "account": d["account_name"] or "–",
        "deal_title": d["deal_title"],
        "deal_url": f"/deals/{d['deal_id']}" if d["deal_id"] else "",
        "contract_url": f"/contracts/{d['contract_id']}" if d["contract_id"] else "",
        "pdf_url": d["signed_pdf_url"] or "",
        "lead": d["lead_name"] or "–",
        "currency": cur,
        "planned": money(d["planned_minor"]),
        "budget": money(d["budget_with_change_orders_minor"]),
        "change_orders_total": money(d["budget_with_change_orders_minor"] - d["planned_minor"]),
    }
    opts = svc.team_options(session, project_id)
    return {
        "head": head,
        "lines": lines,
        "total": total,
        "team": team,
        "milestones": milestones,
        "user_options": opts["users"],
        "line_options": opts["lines"],
        "pending_quotes": [{"id": str(q["id"]), "label": q["label"]} for q in svc.quotes_to_add(session, project_id)],
        "retainers": retainers,
        "change_orders": cos,
        "warnings": [{"text": w["text"], "color": level_color(w["level"])} for w in b["warnings"]],
        "timeline": svc.project_timeline(session, project_id),
    }


@dataclass
class ProjectRow:
    """A row of /projects (a typed row: the page reads `p["name"]` as before)."""

    id: str
    name: str
    account: str
    status: str
    planned: str
    burn: str
    color: str
    hours: str


def list_view(session: Session) -> dict:
    projects = [
        ProjectRow(
            id=str(p["id"]),
            name=p["name"],
            account=p["account"] or "–",
            status=p["status"],
            planned=format_money(p["planned_minor"], p["currency"]),
            burn=fmt_burn(p["burn"]),
            color=level_color(p["level"]),
            hours=format_hours(p["actual_minutes"]),
        )
        for p in svc.list_projects(session)
    ]
    return {"projects": projects, "ready": svc.ready_contracts(session)}


def public_change_order_view(data: dict) -> dict[str, str]:
    """The client's /co/<token> page: the service's public change order, formatted."""
    cur = data["currency"]
    return {
        "number": f"#{data['number']}",
        "description": data["description"],
        "price": format_money(data["amount_minor"], cur),
        "tax_label": f"Tax {data['tax_percent']} %" + (" (included)" if data["tax_inclusive"] else ""),
        "tax": format_money(data["tax_minor"], cur),
        "total": format_money(data["total_minor"], cur),
        "net_label": "Price (tax included)" if data["tax_inclusive"] else "Price excl. tax",
        "detail": (
            f"{format_hours(data['minutes'])} of {data['role']} at {format_money(data['rate_minor'], cur)} / h"
            if data["kind"] == "hours"
            else "Fixed price"
        ),
        "status": data["status"],
        "project": data["project_name"],
        "client": data["client"],
        "org": data["org_name"],
        "approved_name": data["approved_name"],
        "approved_at": data["approved_at"][:10],
        "via": "docusign" if data["provider"] == "docusign" else "link",
    }
