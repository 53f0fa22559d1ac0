"""Typed models of the e-mail composer for the REST send routes (issue 19).

`MessageIn` is the optional `message` of `POST .../send` of quotes, contracts, invoices and
change orders: recipient, copies, and the subject and body with merge fields
(`core.mailmerge.FIELDS`), filled by the stage's send service exactly as the composer's.
`DraftOut` is what `GET .../email-draft` answers: the message the composer opens with
(today's default e-mail as templates) and the values its merge fields take, to preview.
The rules (addresses, unknown merge fields, an empty subject) stay in `core.mailmerge`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from l2c_app.core.mailmerge import FIELDS, Draft, Message


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Annotated[str, Field(max_length=320)] = Field("", description="one address; empty: the document's contact")
    # 900: the Outbox keeps the checked addresses joined by ", " in 1000 characters
    cc: Annotated[str, Field(max_length=900)] = Field("", description="comma separated addresses (at most 10)")
    subject: Annotated[str, Field(min_length=1, max_length=1000)] = Field(
        ..., description="with merge fields, e.g. {document_number}"
    )
    body: Annotated[str, Field(min_length=1, max_length=50_000)] = Field(
        ..., description="with merge fields: " + ", ".join("{" + f + "}" for f in FIELDS)
    )

    def to_message(self) -> Message:
        return Message(to=self.to.strip(), cc=self.cc, subject=self.subject, body=self.body)


def message_of(body: MessageIn | None) -> Message | None:
    return body.to_message() if body is not None else None


class DraftOut(BaseModel):
    to: str
    cc: str
    subject: str
    body: str
    values: dict[str, str] = Field(description="what each merge field is filled with when sent")
    to_fixed: bool = Field(description="true for a contract: it goes to its signers, `to` is not taken")
    note: str
    fields: dict[str, str] = Field(description="every merge field with what it means")


def draft_out(draft: Draft) -> dict:
    return {
        "to": draft.to,
        "cc": draft.cc,
        "subject": draft.subject,
        "body": draft.body,
        "values": {k: str(v or "") for k, v in draft.values.items()},
        "to_fixed": draft.to_fixed,
        "note": draft.note,
        "fields": dict(FIELDS),
    }
