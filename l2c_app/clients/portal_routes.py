"""The client portal's HTTP routes: small server-rendered pages under `/portal`.

Plain routes, not Reflex pages, on purpose: the signed-in state is a cookie scoped to the
portal's path (`Path=/portal`), and Reflex reads cookies from its websocket (`/_event`),
which such a cookie never reaches. The threat model is in `clients.portal`. Every route
takes the client from the cookie's link; another client's id is a 404. Actions forward to
the public token pages that already implement them.
"""

from __future__ import annotations

import html
from datetime import date

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from l2c_app.api.deps import client_ip, db
from l2c_app.clients import portal
from l2c_app.clients.models import PortalLink
from l2c_app.clients.statement import formatted, statement
from l2c_app.clients.statement_pdf import render_statement_pdf
from l2c_app.core.auth import get_organisation
from l2c_app.core.config import get_settings
from l2c_app.core.errors import DomainError
from l2c_app.core.models import Document

router = APIRouter(include_in_schema=False)

NO_STORE = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}

CSS = """
:root{color-scheme:light;--accent:#3e63dd;--gray:#60646c;--line:#e0e1e6;--bg:#f9f9fb}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1c2024;background:var(--bg)}main{max-width:64rem;margin:0 auto;padding:1rem}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;
padding:1rem;background:#fff;border-bottom:1px solid var(--line)}h1{font-size:1.35rem;margin:0}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}.muted{color:var(--gray);font-size:.9rem}
section{background:#fff;border:1px solid var(--line);border-radius:12px;padding:1rem;margin:1rem 0;
overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;background:#f0f0f3}td.n,th.n{text-align:right;white-space:nowrap}
.figures{display:flex;flex-wrap:wrap;gap:.75rem}.figure{flex:1 1 10rem;background:#fff;
border:1px solid var(--line);border-radius:12px;padding:.75rem 1rem}.figure b{display:block;font-size:1.3rem}
a.button,button{display:inline-block;font:inherit;font-size:.9rem;padding:.35rem .8rem;border-radius:8px;
border:0;background:var(--accent);color:#fff;text-decoration:none;cursor:pointer;margin:.1rem .25rem .1rem 0}
a.soft,button.soft{background:#edf2fe;color:#3a5bc7}form.inline{display:inline}
.badge{display:inline-block;padding:0 .45rem;border-radius:6px;background:#f0f0f3;font-size:.8rem}
label{display:block;font-weight:600;margin:.5rem 0 .25rem}input{font:inherit;padding:.45rem;width:100%;
max-width:24rem;border:1px solid #cdced6;border-radius:8px}
@media (max-width:600px){main{padding:.5rem}section{padding:.6rem}th,td{padding:.35rem .3rem;font-size:.85rem}
.hide-sm{display:none}td.actions a,td.actions button{display:block;margin:.2rem 0;text-align:center}}
"""


def _page(title: str, body: str, status: int = 200, org: str = "") -> HTMLResponse:
    doc = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<meta name='robots' content='noindex'><title>{html.escape(title)} · {html.escape(org or 'l2c')}</title>"
        f"<style>{CSS}</style></head><body>{body}</body></html>"
    )
    return HTMLResponse(doc, status_code=status, headers=NO_STORE)


def _org(session: Session) -> str:
    org = get_organisation(session)
    return org.name if org else "l2c"


def _secure() -> bool:
    return get_settings().app_base_url.startswith("https://")


def current_link(request: Request, session: Session = Depends(db)) -> PortalLink | None:
    return portal.resolve(session, request.cookies.get(portal.COOKIE))


def _not_found(session: Session) -> HTMLResponse:
    return _page(
        "Not found",
        "<main><section><h1>Not found</h1><p>This page does not exist or is not yours. "
        "<a href='/portal/'>Your documents</a></p></section></main>",
        404,
        _org(session),
    )


def _request_form(session: Session, message: str = "", status: int = 200) -> HTMLResponse:
    note = f"<p role='status'>{html.escape(message)}</p>" if message else ""
    body = (
        f"<header><h1>{html.escape(_org(session))}: your documents</h1></header><main><section>"
        f"<h2>Get a link to your documents</h2>{note}"
        "<p class='muted'>Enter the e-mail address we write to. If it is one of our clients' contacts, we send "
        "a personal link that opens all your quotes, contracts, invoices and payments for 30 days.</p>"
        "<form method='post' action='/portal/request'><label for='email'>Your e-mail address</label>"
        "<input id='email' name='email' type='email' required maxlength='320' autocomplete='email'>"
        "<p><button type='submit'>Send me a link</button></p></form></section></main>"
    )
    return _page("Your documents", body, status, _org(session))


@router.get("/portal/enter/{token}")
def enter(token: str, session: Session = Depends(db)) -> Response:
    """Open a magic link: the token goes into the portal's cookie and leaves the address bar."""
    link = portal.resolve(session, token)
    if link is None:
        return _page(
            "Link not valid",
            "<main><section><h1>This link does not work any more</h1><p>It may have "
            "expired or been replaced. <a href='/portal/'>Ask for a new link</a>.</p>"
            "</section></main>",
            404,
            _org(session),
        )
    portal.touch(session, link)
    session.commit()
    out = RedirectResponse("/portal/", status_code=303, headers=NO_STORE)
    max_age = int((portal._as_utc(link.expires_at) - portal.utcnow()).total_seconds())
    out.set_cookie(
        portal.COOKIE, token, max_age=max_age, path=portal.COOKIE_PATH, httponly=True, secure=_secure(), samesite="lax"
    )
    return out


@router.post("/portal/request")
def request_link(request: Request, email: str = Form("", max_length=320), session: Session = Depends(db)):
    try:
        answer = portal.request_link(session, email, client_ip(request))
    except portal.TooManyRequests as exc:
        session.rollback()
        return _request_form(session, exc.message, 429)
    session.commit()  # the link exists before the answer says it is on its way
    return _request_form(session, answer)


@router.post("/portal/logout")
def logout() -> Response:
    out = RedirectResponse("/portal/", status_code=303, headers=NO_STORE)
    out.delete_cookie(portal.COOKIE, path=portal.COOKIE_PATH)
    return out


def _rows(items: list[dict], cols: list[tuple], actions=None) -> str:
    """A table; a column is (header, key, numeric) or (header, key, numeric, "hide-sm")."""
    if not items:
        return "<p class='muted'>Nothing here yet.</p>"

    def cls(col) -> str:
        return " ".join(c for c in ("n" if col[2] else "", col[3] if len(col) > 3 else "") if c)

    head = "".join(f"<th class='{cls(c)}'>{html.escape(c[0])}</th>" for c in cols)
    head += "<th>Actions</th>" if actions else ""
    body = ""
    for it in items:
        cells = "".join(f"<td class='{cls(c)}'>{html.escape(str(it[c[1]]))}</td>" for c in cols)
        body += f"<tr>{cells}" + (f"<td class='actions'>{actions(it)}</td>" if actions else "") + "</tr>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _badge(text: str) -> str:
    return f"<span class='badge'>{html.escape(text)}</span>"


@router.get("/portal")
@router.get("/portal/")
def home(request: Request, session: Session = Depends(db), link: PortalLink | None = Depends(current_link)):
    if link is None:
        return _request_form(session)
    portal.touch(session, link)
    v = portal.portal_view(session, link)
    st = formatted(statement(session, link.account_id))
    quotes = _rows(
        v["quotes"],
        [("Quote", "label", False), ("Status", "status", False), ("Total", "amount", True)],
        lambda q: f"<a class='button' href='/portal/quotes/{q['id']}'>"
        + ("Review, accept or decline" if q["can_act"] else "View quote")
        + "</a>",
    )
    contracts = _rows(
        v["contracts"],
        [("Contract", "label", False), ("Status", "status", False)],
        lambda c: (
            f"<form class='inline' method='post' action='/portal/contracts/{c['id']}/sign'>"
            f"<button type='submit'>Read and sign</button></form>"
            if c["can_sign"]
            else ""
        )
        + (
            f"<a class='button soft' href='/portal/contracts/{c['id']}/signed.pdf'>Download signed PDF</a>"
            if c["signed_pdf"]
            else ""
        ),
    )
    cos = _rows(
        v["change_orders"],
        [("Change order", "label", False), ("Status", "status", False), ("Amount", "amount", True)],
        lambda c: f"<a class='button' href='/portal/change-orders/{c['id']}'>"
        + ("Review and approve" if c["can_act"] else "View")
        + "</a>",
    )
    invoices = _rows(
        v["invoices"],
        [
            ("Invoice", "label", False),
            ("Status", "status", False),
            ("Total", "amount", True, "hide-sm"),
            ("Open", "open", True),
            ("Due", "due", False, "hide-sm"),
        ],
        lambda i: (
            f"<a class='button' href='/portal/invoices/{i['id']}'>Pay invoice {html.escape(i['label'])}</a>"
            if i["can_pay"]
            else f"<a class='button soft' href='/portal/invoices/{i['id']}'>View</a>"
        )
        + f"<a class='button soft' href='/portal/invoices/{i['id']}/pdf'>Download PDF</a>",
    )
    payments = _rows(
        v["payments"],
        [
            ("Date", "date", False),
            ("Invoice", "invoice", False),
            ("Amount", "amount", True),
            ("Status", "status", False),
        ],
    )
    st_rows = "".join(
        f"<tr><td>{html.escape(r['date'])}</td><td>{html.escape(r['reference'])}</td>"
        f"<td class='n'>{r['debit']}</td><td class='n'>{r['credit']}</td>"
        f"<td class='n'>{r['balance']}</td></tr>"
        for r in st["rows"]
    )
    statement_html = (
        f"<p>From {st['start_text']} to {st['end_text']}. Opening balance <b>{st['opening']}</b>, "
        f"closing balance <b>{st['closing']}</b>.</p><table><thead><tr><th>Date</th><th>Document</th>"
        f"<th class='n'>Debit</th><th class='n'>Credit</th><th class='n'>Balance</th></tr></thead>"
        f"<tbody>{st_rows}</tbody></table><p><a class='button soft' href='/portal/statement.pdf'>"
        f"Download statement PDF</a></p>"
    )
    body = (
        f"<header><div><h1>{html.escape(v['client'])}</h1><span class='muted'>Documents from "
        f"{html.escape(_org(session))} · signed in as {html.escape(v['contact'])}</span></div>"
        "<form method='post' action='/portal/logout'><button class='soft' type='submit'>Sign out</button>"
        "</form></header><main>"
        f"<div class='figures'><div class='figure'><span class='muted'>Open balance</span><b>{v['open']}</b></div>"
        f"<div class='figure'><span class='muted'>Overdue</span><b>{v['overdue']}</b></div>"
        f"<div class='figure'><span class='muted'>Your credit</span><b>{v['credit']}</b></div></div>"
        f"<section aria-labelledby='h-q'><h2 id='h-q'>Quotes</h2>{quotes}</section>"
        f"<section aria-labelledby='h-c'><h2 id='h-c'>Contracts</h2>{contracts}</section>"
        f"<section aria-labelledby='h-co'><h2 id='h-co'>Change orders</h2>{cos}</section>"
        f"<section aria-labelledby='h-i'><h2 id='h-i'>Invoices</h2>{invoices}</section>"
        f"<section aria-labelledby='h-p'><h2 id='h-p'>Payments</h2>{payments}</section>"
        f"<section aria-labelledby='h-s'><h2 id='h-s'>Statement</h2>{statement_html}</section></main>"
    )
    session.commit()
    return _page("Your documents", body, org=_org(session))


def _forward(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


def _owned(session: Session, link: PortalLink | None, fn, item_id: int):
    if link is None:
        return None
    try:
        return fn(session, link, item_id)
    except DomainError:
        return None


@router.get("/portal/quotes/{quote_id}")
def open_quote(quote_id: int, session: Session = Depends(db), link: PortalLink | None = Depends(current_link)):
    q = _owned(session, link, portal.client_quote, quote_id)
    return _forward(f"/q/{q.public_token}") if q else _not_found(session)


@router.get("/portal/change-orders/{co_id}")
def open_change_order(co_id: int, session: Session = Depends(db), link: PortalLink | None = Depends(current_link)):
    co = _owned(session, link, portal.client_change_order, co_id)
    return _forward(f"/co/{co.public_token}") if co else _not_found(session)


@router.get("/portal/invoices/{invoice_id}")
def open_invoice(invoice_id: int, session: Session = Depends(db), link: PortalLink | None = Depends(current_link)):
    inv = _owned(session, link, portal.client_invoice, invoice_id)
    return _forward(f"/i/{inv.public_token}") if inv else _not_found(session)


@router.get("/portal/invoices/{invoice_id}/pdf")
def invoice_pdf(invoice_id: int, session: Session = Depends(db), link: PortalLink | None = Depends(current_link)):
    inv = _owned(session, link, portal.client_invoice, invoice_id)
    return _forward(f"/i/{inv.public_token}/pdf") if inv else _not_found(session)


@router.post("/portal/contracts/{contract_id}/sign")
def sign_contract(contract_id: int, session: Session = Depends(db), link: PortalLink | None = Depends(current_link)):
    token = _owned(session, link, portal.signing_token, contract_id)
    if token is None:
        return _not_found(session)
    session.commit()  # the new signing token exists before the browser is sent to it
    return _forward(f"/sign/{token}")


@router.get("/portal/contracts/{contract_id}/signed.pdf")
def signed_pdf(contract_id: int, session: Session = Depends(db), link: PortalLink | None = Depends(current_link)):
    c = _owned(session, link, portal.client_contract, contract_id)
    doc = session.get(Document, c.signed_document_id) if c and c.signed_document_id else None
    if doc is None:
        return _not_found(session)
    return Response(
        doc.data,
        media_type="application/pdf",
        headers={**NO_STORE, "Content-Disposition": f'inline; filename="{doc.filename}"'},
    )


@router.get("/portal/statement.pdf")
def statement_pdf(
    start: date | None = None,
    end: date | None = None,
    session: Session = Depends(db),
    link: PortalLink | None = Depends(current_link),
):
    if link is None:
        return _not_found(session)
    try:
        data = render_statement_pdf(session, link.account_id, start, end)
    except DomainError as exc:
        return _page(
            "Statement",
            f"<main><section><p role='alert'>{html.escape(exc.message)}</p></section></main>",
            exc.status,
            _org(session),
        )
    return Response(
        data,
        media_type="application/pdf",
        headers={**NO_STORE, "Content-Disposition": 'inline; filename="statement.pdf"'},
    )
