"""The small rules behind the lead pages' handlers (leads/page_logic.py), without a browser."""

from urllib.parse import parse_qs, urlparse

import pytest

from l2c_app.leads import page_logic as logic


def test_filters_all_means_no_filter_for_the_list_and_the_export():
    assert logic.list_filters("acme", "open", logic.ALL, logic.ALL, logic.ALL) == dict(
        q="acme", status="open", owner_id=None, source="", age=""
    )
    assert logic.list_filters("", logic.ALL, "7", "web", "week") == dict(
        q="", status="", owner_id=7, source="web", age="week"
    )
    url = logic.export_url("acme", "open", "7", logic.ALL, logic.ALL)
    assert url.startswith("/api/v1/leads.csv?")
    assert parse_qs(urlparse(url).query) == {"q": ["acme"], "status": ["open"], "owner": ["7"]}


def test_deal_value_empty_is_zero_and_text_is_refused():
    assert logic.deal_value("", "EUR") == 0
    assert logic.deal_value(None, "EUR") == 0
    assert logic.deal_value("1,200.50", "EUR") == 120050
    with pytest.raises((ValueError, ArithmeticError)):
        logic.deal_value("lots", "EUR")


def test_rules_round_trip_and_incomplete_rows_are_dropped():
    rows = logic.rules_from_settings({"web": 3, "ads": 4})
    assert rows == [{"source": "web", "user": "3"}, {"source": "ads", "user": "4"}]
    assert logic.rules_by_source([*rows, {"source": "", "user": "5"}, {"source": "x", "user": ""}]) == {
        "web": 3,
        "ads": 4,
    }


def test_mapping_skip_is_no_column_and_the_preview_follows_it():
    headers = ["Name", "Mail"]
    guessed = logic.guessed_mapping("leads", headers)
    assert set(guessed) == set(logic.import_fields("leads")) and logic.SKIP in guessed.values()
    chosen = logic.chosen_mapping({"name": "Name", "email": logic.SKIP})
    assert chosen == {"name": "Name", "email": ""}
    rows = [["Ada", "ada@x.test"]] * 7
    preview = logic.preview(headers, rows, {"name": "Name", "email": logic.SKIP})
    assert len(preview) == 5 and preview[0]["name"] == "Ada" and not preview[0].get("email")
