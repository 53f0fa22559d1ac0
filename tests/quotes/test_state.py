"""The builder's totals-as-you-type come from the same function as the saved quote's."""

import l2c_app.l2c_app  # noqa: F401  (registers every state)
from l2c_app.quotes import service as svc
from l2c_app.quotes.state import BuilderState, _builder_data

from .test_service import build_quote


def builder_for(session, quote_id) -> BuilderState:
    state = BuilderState(_reflex_internal_init=True)
    state._apply(_builder_data(session, quote_id))
    return state


def test_typing_shows_the_totals_the_service_will_store(session, world):
    q = build_quote(session, world)
    state = builder_for(session, q.id)
    assert state.totals == svc.quote_view(session, q.id)["totals"]
    line = svc.quote_lines(session, q.id)[1]

    BuilderState.set_line_field.fn(state, 1, "quantity", "20")  # typed, not saved yet
    BuilderState.set_discount.fn(state, "12.5")
    svc.update_line(session, world.actor, line.id, quantity="20")
    svc.update_quote(session, world.actor, q.id, discount_percent="12.5")
    assert state.totals == svc.quote_view(session, q.id)["totals"]
    assert state.lines[1]["amount"] == "€3,000.00"


def test_a_bad_value_keeps_the_last_good_totals_and_says_why(session, world):
    q = build_quote(session, world)
    state = builder_for(session, q.id)
    before = dict(state.totals)
    BuilderState.set_line_field.fn(state, 0, "quantity", "-2")
    assert state.totals == before and "quantity" in state.error
    BuilderState.set_line_field.fn(state, 0, "unit_price", "12.345")
    assert state.totals == before and "at most 2 decimals" in state.lines[0]["error"]
