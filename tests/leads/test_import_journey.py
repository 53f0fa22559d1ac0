"""Journey: a seller imports a CSV of leads: picks the file, checks the column mapping and the
preview, runs the import, downloads the report of the rows that were refused, then imports the
same file as contacts."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from sqlmodel import func, select

import l2c_app.models  # noqa: F401  (every table, for the foreign keys)
from l2c_app.leads.models import Lead
from l2c_app.pipeline.models import Account, Contact
from tests.conftest import sign_in

pytestmark = pytest.mark.browser


def write_csv(tmp_path, tag: str, good: int) -> str:
    lines = ["Full Name,Email,Company,Notes"]
    lines += [f"Person {i} {tag},p{i}@{tag}-firm{i}.test,Firm {i},row {i}" for i in range(good)]
    lines.append(f"No Mail {tag},not-an-email,Nowhere,bad row")
    path = tmp_path / "leads.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def choose_file(page, path: str) -> None:
    page.locator("#leads_csv input[type=file]").set_input_files(path)
    page.get_by_role("button", name="Read the file").click()


def map_column(page, field: str, header: str) -> None:
    page.get_by_role("combobox", name=f"Column for {field}").click()
    page.get_by_role("option", name=header, exact=True).click()


def test_seller_imports_a_csv_and_gets_the_error_report(page, app_server, tmp_path):
    app = app_server
    tag = uuid.uuid4().hex[:6]
    path = write_csv(tmp_path, tag, good=30)
    sign_in(page, app, *app.ensure_owner())
    page.goto(f"{app.base_url}/leads")
    page.get_by_role("button", name="Import CSV").click()
    choose_file(page, path)
    expect(page.get_by_text("31 rows")).to_be_visible()
    expect(page.get_by_role("cell", name=f"Person 0 {tag}")).to_be_visible()  # preview, columns guessed
    map_column(page, "message", "Notes")
    page.get_by_role("button", name="Start import").click()
    expect(page.get_by_role("status")).to_contain_text("30 leads imported")
    expect(page.get_by_role("status")).to_contain_text("1 rows with errors")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download error report").click()
    report = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert report == ["row,field,error", '32,email,"not a valid e-mail address, like name@company.com"']
    with app.session() as s:
        assert s.exec(select(func.count()).select_from(Lead).where(Lead.name.like(f"% {tag}"))).one() == 30

    # The same people as contacts of their companies.
    page.get_by_text("Import as contacts (with their accounts)").click()
    page.get_by_role("button", name="Start import").click()
    expect(page.get_by_role("status")).to_contain_text("30 contacts imported, 1 rows with errors")
    with app.session() as s:
        contact = s.exec(select(Contact).where(Contact.email == f"p3@{tag}-firm3.test")).one()
        assert s.get(Account, contact.account_id).name == "Firm 3"
