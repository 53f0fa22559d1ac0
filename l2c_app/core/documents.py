"""Stored files (PDFs, logo). Kept in the database so backups and several workers see them;
served only by API routes that check a user or a public token (never `/_upload`)."""

from __future__ import annotations

import hashlib

from sqlmodel import Session

from l2c_app.core.models import Document


def store_document(
    session: Session, *, kind: str, filename: str, data: bytes, content_type: str = "application/pdf"
) -> Document:
    doc = Document(
        kind=kind,
        filename=filename,
        content_type=content_type,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )
    session.add(doc)
    session.flush()
    return doc
