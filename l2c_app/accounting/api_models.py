"""Pydantic models of what the journal routes answer: exactly the keys of
`accounting.export.rows` / `batch_json` and `accounting.settings.accounting_settings`
(dates and instants stay the ISO strings they make; money in integer minor units)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class JournalLineOut(BaseModel):
    date: str
    entry_id: int
    source: str = Field(description="source_type:source_id")
    seq: int
    kind: str
    account: str
    account_name: str
    debit_minor: int
    credit_minor: int
    currency: str
    reference: str
    memo: str
    client: str
    client_id: int | None
    tax_code: str
    batch_id: int | None


class JournalOut(BaseModel):
    lines: list[JournalLineOut]
    count: int


class BatchOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: int
    created_at: str
    date_from: str | None = Field(alias="from")
    date_to: str | None = Field(alias="to")
    entries: int
    csv: str = Field(description="where to download the batch as CSV")
    json_url: str = Field(alias="json", description="where to read the batch as JSON")


class BatchList(BaseModel):
    batches: list[BatchOut]
    not_exported: int


class LedgerAccount(BaseModel):
    code: str
    name: str


class AccountingSettingsOut(BaseModel):
    accounts: dict[str, LedgerAccount] = Field(description="role -> account")
    income: dict[str, LedgerAccount] = Field(description="line kind -> income account")
    tax: dict[str, dict[str, str]] = Field(
        description="tax rate id -> the keys given of code, name, tax_code (only those stored are answered)"
    )
