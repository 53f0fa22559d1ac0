"""The live board (pipeline/board_events.py): the pure patch, the re-read by id, and the
announcement after commit (never for a rolled-back change)."""

from __future__ import annotations

import asyncio

from l2c_app.core import broadcast as bc
from l2c_app.core.audit import Actor
from l2c_app.pipeline import board_events as be
from l2c_app.pipeline import service as svc
from tests.conftest import run_async


def _card(i: int, entered: str, **kw) -> dict:
    return {
        "id": i,
        "title": f"Deal {i}",
        "account": "",
        "owner": "Sam",
        "value": "€1.00",
        "age": "0 d in stage",
        "next": "",
        "close": "",
        "entered": entered,
        **kw,
    }


def _cols() -> list[dict]:
    head = {"total_text": "-", "weighted_text": "-", "probability": 10}
    return [
        {
            "id": 1,
            "name": "New",
            **head,
            "count": 2,
            "more": 0,
            "cards": [_card(1, "2026-01-03T00:00:00+00:00"), _card(2, "2026-01-01T00:00:00+00:00")],
        },
        {"id": 2, "name": "Qualified", **head, "count": 1, "more": 0, "cards": [_card(3, "2026-01-02T00:00:00+00:00")]},
    ]


def _heads(**counts) -> dict:
    return {
        1: {"name": "New", "probability": 10, "count": counts.get("new", 2), "total_text": "A", "weighted_text": "a"},
        2: {
            "name": "Qualified",
            "probability": 10,
            "count": counts.get("qualified", 1),
            "total_text": "B",
            "weighted_text": "b",
        },
    }


def test_move_to_a_new_stage_removes_from_the_old_column_and_inserts_by_time_in_stage():
    cols = _cols()
    moved = {**_card(2, "2026-01-05T00:00:00+00:00"), "stage_id": 2}
    out = be.patch_columns(cols, {"cards": {2: moved}, "heads": _heads(new=1, qualified=2), "stages": [1, 2]})
    assert [c["id"] for c in out[0]["cards"]] == [1]
    assert [c["id"] for c in out[1]["cards"]] == [2, 3]  # most recent in stage first
    assert "stage_id" not in out[1]["cards"][0]
    assert (out[0]["count"], out[1]["count"], out[1]["total_text"]) == (1, 2, "B")
    assert [c["id"] for c in cols[0]["cards"]] == [1, 2]  # pure: the input is untouched


def test_same_stage_updates_the_card_in_place():
    out = be.patch_columns(
        _cols(),
        {
            "cards": {2: {**_card(2, "2026-01-01T00:00:00+00:00", title="Renamed"), "stage_id": 1}},
            "heads": _heads(),
            "stages": [1, 2],
        },
    )
    assert [(c["id"], c["title"]) for c in out[0]["cards"]] == [(1, "Deal 1"), (2, "Renamed")]
    assert [c["id"] for c in out[1]["cards"]] == [3]


def test_won_lost_or_removed_takes_the_card_off_the_board():
    out = be.patch_columns(
        _cols(), {"cards": {3: None, 1: None}, "heads": _heads(new=1, qualified=0), "stages": [1, 2]}
    )
    assert [c["id"] for c in out[0]["cards"]] == [2] and out[1]["cards"] == []
    assert (out[0]["count"], out[1]["count"], out[1]["more"]) == (1, 0, 0)


def test_a_new_deal_appears_and_the_column_keeps_its_cap():
    out = be.patch_columns(
        _cols(),
        {
            "cards": {9: {**_card(9, "2026-01-09T00:00:00+00:00"), "stage_id": 1}},
            "heads": _heads(new=3),
            "stages": [1, 2],
        },
        per_column=2,
    )
    assert [c["id"] for c in out[0]["cards"]] == [9, 1]
    assert out[0]["more"] == 1  # count 3, two shown: "Show 1 more"


def test_a_change_of_the_stages_asks_for_a_full_reload():
    assert be.patch_columns(_cols(), {"cards": {}, "heads": {}, "stages": [1, 2, 5]}) is None


def _team(session):
    from tests.sales_fixtures import make_team

    return make_team(session)


def test_changes_reread_by_id_with_the_viewers_filters(session):
    team = _team(session)
    stages = [s.id for s in svc.open_stages(session)]
    mine = svc.create_deal(session, Actor("user", team.sam.id), title="Mine", value_minor=1000)
    theirs = svc.create_deal(session, Actor("user", team.sofia.id), title="Theirs", value_minor=2000)
    session.commit()
    svc.move_deal(session, Actor("user", team.sam.id), mine.id, stages[1])
    session.commit()
    change = be.changes(session, [mine.id, theirs.id])
    assert change["cards"][mine.id]["stage_id"] == stages[1] and change["cards"][theirs.id]["stage_id"] == stages[0]
    assert change["heads"][stages[1]]["count"] == 1 and change["stages"] == stages
    only_sofia = be.changes(session, [mine.id, theirs.id], owner_id=team.sofia.id)
    assert only_sofia["cards"][mine.id] is None  # filtered out of this viewer's board
    svc.mark_won(session, Actor("user", team.sam.id), mine.id)
    session.commit()
    assert be.changes(session, [mine.id])["cards"][mine.id] is None


def test_a_committed_move_is_announced_with_ids_only_and_a_rolled_back_one_is_not(session):
    team = _team(session)
    stages = [s.id for s in svc.open_stages(session)]
    deal = svc.create_deal(session, Actor("user", team.sam.id), title="Secret title", value_minor=1000)
    session.commit()
    org = be.org_id(session)
    hub = bc.InProcessBroadcast()
    bc.set_broadcast(hub)

    async def scenario():
        async with hub.subscribe(be.board_topic(org)) as sub:
            await asyncio.to_thread(_rolled_back, session, team, deal.id, stages[2])
            assert await sub.get(0.2) is None
            await asyncio.to_thread(_committed, session, team, deal.id, stages[1])
            msg = await sub.get(2)
            assert msg == {"org": org, "deals": [deal.id]}  # no title, no value

    try:
        run_async(scenario())
    finally:
        bc.set_broadcast(None)


def _rolled_back(session, team, deal_id, stage_id):
    svc.move_deal(session, Actor("user", team.sam.id), deal_id, stage_id)
    session.flush()
    session.rollback()


def _committed(session, team, deal_id, stage_id):
    svc.move_deal(session, Actor("user", team.sam.id), deal_id, stage_id)
    session.commit()


def test_the_patchs_header_figures_equal_the_full_boards(session):
    """A live patch sums the headers in the database (grouped), the full board deal by deal:
    same counts, totals and weighted values, with currencies, own probabilities and filters mixed."""
    team = _team(session)
    stages = [s.id for s in svc.open_stages(session)]
    sam, sofia = Actor("user", team.sam.id), Actor("user", team.sofia.id)
    ids = [
        svc.create_deal(session, sam, title="A", value_minor=123_45, stage_id=stages[0]).id,
        svc.create_deal(session, sam, title="B", value_minor=999, currency="USD", stage_id=stages[0]).id,
        svc.create_deal(session, sofia, title="C", value_minor=10_01, probability=33, stage_id=stages[1]).id,
        svc.create_deal(session, sofia, title="D", value_minor=7, probability=None, stage_id=stages[1]).id,
        svc.create_deal(session, sam, title="E", value_minor=5_00, probability=0, stage_id=stages[2]).id,
    ]
    session.commit()
    keys = ("count", "total_text", "weighted_text")
    for owner in (None, team.sam.id, team.sofia.id):
        full = {c["id"]: {k: c[k] for k in keys} for c in svc.board(session, owner)}
        heads = be.changes(session, [ids[0]], owner_id=owner)["heads"]
        assert {sid: {k: h[k] for k in keys} for sid, h in heads.items()} == full
