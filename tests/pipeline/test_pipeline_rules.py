"""Pipeline rules: default stages, moves, won/lost, board figures, reassign, tasks, my day, stage settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from l2c_app.core.audit import Actor
from l2c_app.core.models import AuditLog, Notification
from l2c_app.core.timeutil import utcnow
from l2c_app.pipeline import service as svc
from l2c_app.pipeline.models import StageChange


def deal(session, team, value=100000, **kw):
    d = svc.create_deal(session, Actor("user", team.sam.id), title=kw.pop("title", "Site"), value_minor=value, **kw)
    session.commit()
    return d


def test_default_stages_are_created_once(session, team):
    names = [s["name"] for s in svc.stages_json(session)]
    assert names == ["New", "Qualified", "Proposal", "Negotiation", "Won", "Lost"]
    assert len(svc.ensure_stages(session)) == 6


def test_board_columns_show_count_total_and_weighted(session, team):
    stages = {s.name: s for s in svc.ensure_stages(session)}
    deal(session, team, 100000)
    deal(session, team, 33333)  # New: 10 %
    deal(session, team, 200000, stage_id=stages["Proposal"].id, probability=33)
    cols = {c["name"]: c for c in svc.board(session)}
    assert list(cols) == ["New", "Qualified", "Proposal", "Negotiation"]
    assert cols["New"]["count"] == 2 and cols["New"]["total_text"] == "€1,333.33"
    assert cols["New"]["weighted_text"] == "€133.33"  # 13,333.3 cents rounded once, half-up
    assert cols["Proposal"]["weighted_text"] == "€660.00"
    assert cols["Qualified"]["count"] == 0 and cols["Qualified"]["total_text"] == "-"
    assert cols["New"]["cards"][0]["owner"] == "Sam Seller"


def test_board_filters_by_owner_and_close_date(session, team):
    from datetime import date

    deal(session, team, expected_close=date(2026, 1, 10))
    svc.create_deal(
        session, Actor("user", team.owner.id), title="Other", owner_id=team.sofia.id, expected_close=date(2026, 3, 1)
    )
    session.commit()
    assert sum(c["count"] for c in svc.board(session, owner_id=team.sofia.id)) == 1
    assert sum(c["count"] for c in svc.board(session, close_to=date(2026, 2, 1))) == 1


def test_move_records_stage_change_audit_and_timeline_and_version_changes(session, team):
    d = deal(session, team)
    v1 = svc.board_version(session)
    q = [s for s in svc.ensure_stages(session) if s.name == "Qualified"][0]
    svc.move_deal(session, Actor("user", team.owner.id), d.id, q.id)
    session.commit()
    assert svc.board_version(session) != v1
    change = session.exec(
        select(StageChange).where(StageChange.deal_id == d.id).order_by(StageChange.id.desc())
    ).first()
    assert (change.to_stage_id, change.user_id, change.via) == (q.id, team.owner.id, "ui")
    assert session.exec(select(AuditLog).where(AuditLog.entity == "deal", AuditLog.action == "move")).one()


def test_lost_asks_for_a_reason_won_closes(session, team):
    d = deal(session, team)
    with pytest.raises(svc.PipelineError, match="lost_reason"):
        svc.mark_lost(session, Actor("user", team.sam.id), d.id, "")
    svc.mark_lost(session, Actor("user", team.sam.id), d.id, "Too expensive")
    assert (d.status, d.lost_reason) == ("lost", "Too expensive") and d.closed_at
    d2 = deal(session, team)
    svc.mark_won(session, Actor("user", team.sam.id), d2.id)
    assert d2.status == "won"
    assert all(c["count"] == 0 for c in svc.board(session))


def test_reassign_notifies_and_hands_over_open_tasks(session, team):
    d = deal(session, team)
    task = svc.add_activity(
        session, Actor("user", team.sam.id), d.id, "task", "Send proposal", due_at=utcnow() + timedelta(days=1)
    )
    svc.reassign(session, Actor("user", team.owner.id), d.id, team.sofia.id)
    session.commit()
    assert d.owner_id == team.sofia.id and task.user_id == team.sofia.id
    assert (
        session.exec(select(Notification).where(Notification.user_id == team.sofia.id)).one().link == f"/deals/{d.id}"
    )
    assert any("Handed over from Sam Seller to Sofia Sales" in e["subject"] for e in svc.timeline(session, d.id))


def test_my_day_lists_overdue_today_and_stale(session, team):
    actor = Actor("user", team.sam.id)
    d = deal(session, team)
    svc.add_activity(session, actor, d.id, "task", "Overdue call", due_at=utcnow() - timedelta(days=2))
    svc.add_activity(session, actor, d.id, "task", "Later", due_at=utcnow() + timedelta(days=5))
    done = svc.add_activity(session, actor, d.id, "task", "Done already", due_at=utcnow() - timedelta(hours=1))
    svc.set_task_done(session, actor, done.id)
    old = deal(session, team, title="Sleepy")
    old.last_activity_at = utcnow() - timedelta(days=20)
    session.commit()
    day = svc.my_day(session, team.sam.id)
    assert day["open_deals"] >= 2  # "No deals yet" shows only at 0
    assert svc.my_day(session, team.owner.id)["open_deals"] == 0
    assert [t["subject"] for t in day["tasks"]] == ["Overdue call"] and day["tasks"][0]["overdue"] == "overdue"
    assert [s["title"] for s in day["stale"]] == ["Sleepy"]
    svc.set_stale_days(session, Actor("user", team.owner.id), 30)
    assert svc.my_day(session, team.sam.id)["stale"] == []


def test_stage_settings_rename_reorder_add_and_guard_delete(session, team):
    rows = svc.stages_json(session)
    rows[0]["name"], rows[0]["probability"] = "Inbox", 5
    rows.append({"name": "Discovery", "position": 1, "probability": 15})
    svc.save_stages(session, Actor("user", team.owner.id), rows)
    names = [s["name"] for s in svc.stages_json(session)]
    assert names[0] == "Inbox" and "Discovery" in names
    deal(session, team)
    inbox = svc.stages_json(session)[0]
    with pytest.raises(svc.PipelineError, match="still holds"):
        svc.save_stages(session, Actor("user", team.owner.id), [{**inbox, "delete": True}])
    with pytest.raises(svc.PipelineError, match="between 0 and 100"):
        svc.save_stages(session, Actor("user", team.owner.id), [{**inbox, "probability": 120}])


def test_board_caps_cards_per_column_but_counts_every_deal(session, team):
    for i in range(5):
        deal(session, team, 1000, title=f"D{i}")
    new = svc.board(session, per_column=3)[0]
    assert (new["count"], len(new["cards"]), new["more"], new["total_text"]) == (5, 3, 2, "€50.00")
