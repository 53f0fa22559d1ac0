"""What the board tab holds and sends (BoardState): the columns carry their cards' ids, the cards
sit apart keyed by deal id (in buckets by id: an edit re-sends one), and a patched move leaves
both exactly as a full re-read would (the fast path against the reference path), re-sending
nothing when nothing changed."""

from __future__ import annotations

import l2c_app.l2c_app  # noqa: F401  (registers every state)
from l2c_app.core.audit import Actor
from l2c_app.pipeline import board_events as be
from l2c_app.pipeline import service as svc
from l2c_app.pipeline.state import CARD_BUCKETS, CARD_FIELDS, BoardState

BUCKETS = {f"cards_{n}" for n in range(CARD_BUCKETS)}


def _tab(session) -> BoardState:
    state = BoardState(_reflex_internal_init=True)
    state._show(svc.board(session, per_column=state.per_column))
    return state


def _plain(state: BoardState) -> tuple:
    return [dict(c) for c in state.columns], {k: dict(v) for k, v in state.shown_cards().items()}


def test_a_patched_move_shows_what_a_full_reread_shows_and_an_unchanged_board_sends_nothing(session, team):
    actor = Actor("user", team.sam.id)
    deals = [svc.create_deal(session, actor, title=f"Deal {i}", value_minor=1000 * (i + 1)) for i in range(5)]
    session.commit()
    stages = [s.id for s in svc.open_stages(session)]
    tab = _tab(session)
    assert tab.columns[0]["ids"] == [str(d.id) for d in reversed(deals)]  # newest in stage first
    assert set(tab.shown_cards()) == {str(d.id) for d in deals} and "cards" not in tab.columns[0]
    assert all(tuple(c) == CARD_FIELDS for c in tab.shown_cards().values())  # no server-only field is sent
    assert set(getattr(tab, f"cards_{deals[0].id % CARD_BUCKETS}")) >= {str(deals[0].id)}

    for deal_id, stage in ((deals[1].id, stages[1]), (deals[3].id, stages[2]), (deals[1].id, stages[0])):
        change = be.act_and_read(
            session, svc.move_deal, (actor, deal_id, stage), deal_id, (None, None, None, "UTC"), tab.version
        )
        session.commit()
        tab.dirty_vars.clear()
        assert tab._apply(change)
        assert "columns" in tab.dirty_vars
        # a card shows no stage: a move re-sends the columns' ids, at most the moved card's bucket
        assert BUCKETS & tab.dirty_vars <= {f"cards_{deal_id % CARD_BUCKETS}"}
        assert _plain(tab) == _plain(_tab(session))  # the patch == the reference (a full re-read)

        tab.dirty_vars.clear()
        assert tab._apply(be.changes(session, [deal_id]))  # its own follow task hears the same move
        assert not {"columns", *BUCKETS} & tab.dirty_vars  # nothing is sent again


def test_an_edited_card_resends_its_own_bucket_alone(session, team):
    actor = Actor("user", team.sam.id)
    deals = [svc.create_deal(session, actor, title=f"Deal {i}", value_minor=1000) for i in range(CARD_BUCKETS + 3)]
    session.commit()
    tab = _tab(session)
    edited = deals[5].id
    change = be.act_and_read(
        session,
        svc.update_deal,
        (actor, edited, {"title": "Renamed"}),
        edited,
        (None, None, None, "UTC"),
        tab.version,
    )
    session.commit()
    tab.dirty_vars.clear()
    assert tab._apply(change)
    assert BUCKETS & tab.dirty_vars == {f"cards_{edited % CARD_BUCKETS}"}
    assert getattr(tab, f"cards_{edited % CARD_BUCKETS}")[str(edited)]["title"] == "Renamed"
    assert _plain(tab) == _plain(_tab(session))
