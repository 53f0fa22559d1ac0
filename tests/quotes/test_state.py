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


def test_a_refused_value_is_marked_on_its_field_and_no_total_uses_an_old_one(session, world):
    """Issue 22: a refused figure stays on screen marked invalid with the rule's reason
    (the service's own message); its line shows no amount and the totals show none, until
    it is fixed, when they are again what the service stores."""
    q = build_quote(session, world)
    state = builder_for(session, q.id)
    good = dict(state.totals)
    for field, value in (
        ("quantity", "-3"),
        ("discount_percent", "200"),
        ("quantity", "1e12"),
        ("unit_price", "12.345"),
        ("quantity", "lots"),
    ):
        BuilderState.set_line_field.fn(state, 0, field, value)
        assert state.lines[0][field] == value  # what was typed stays on screen
        assert state.lines[0][f"err_{field}"] == svc.line_value_error(field, value, "EUR") != ""
        assert state.lines[0]["amount"] == "—"
        assert (state.totals["subtotal"], state.totals["total"]) == ("—", "—")
        assert state._invalid() == 1
        BuilderState.set_line_field.fn(
            state, 0, field, {"quantity": "1", "discount_percent": "0", "unit_price": "2500"}[field]
        )
        assert state.totals == good and state._invalid() == 0
    BuilderState.set_discount.fn(state, "200")
    assert state.discount_error == svc.line_value_error("quote_discount", "200")
    assert state.totals["total"] == "—"
    assert state.lines[1]["amount"] == svc.quote_view(session, q.id)["lines"][1]["amount"]  # a line's own amount
    BuilderState.set_discount.fn(state, "10")
    assert state.totals == good
