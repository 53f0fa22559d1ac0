"""Scheduled jobs run once each, report what they did, and one failure stops no other."""

from l2c_app import jobs


def test_every_job_runs_and_reports(db_url):
    results = jobs.run_jobs()
    assert set(results) == {
        "invoice reminders",
        "retainer invoices",
        "docusign re-poll",
        "stripe sync",
        "stripe fees",
        "outbox sweep",
        "accounting sync",
        "accounting journal",
        "leak digest",
    }
    assert results["leak digest"] == "0 leak digest e-mail(s) written"  # a fresh install leaks nothing
    assert results["outbox sweep"] == "0 outbox delivery attempt(s)"
    assert results["accounting sync"] == "0 accounting record(s) pushed"  # not connected
    assert results["accounting journal"] == "0 journal entr(ies) posted"
    assert results["stripe fees"] == "Stripe not configured: skipped"
    assert results["docusign re-poll"] == "DocuSign not configured: skipped"
    assert results["stripe sync"] == "Stripe not configured: skipped"
    assert not any(v.startswith("failed") for v in results.values())


def test_a_failing_job_is_reported_and_the_others_still_run(db_url, monkeypatch):
    def broken(session):
        raise RuntimeError("boom")

    monkeypatch.setitem(jobs.JOBS, "invoice reminders", broken)
    results = jobs.run_jobs()
    assert results["invoice reminders"] == "failed: boom"
    assert results["retainer invoices"].endswith("drafted")
