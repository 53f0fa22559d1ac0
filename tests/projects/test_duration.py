"""Durations typed into the time grid become integer minutes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from l2c_app.core import formats
from l2c_app.projects.duration import DurationError, format_hours, format_minutes, parse_duration


@pytest.mark.parametrize(
    "text,minutes",
    [
        ("1.5", 90),
        ("1,5", 90),
        ("1:30", 90),
        ("90m", 90),
        ("90 min", 90),
        ("2h", 120),
        ("1h30", 90),
        ("1h 30m", 90),
        ("1.5h", 90),
        (" 0:45 ", 45),
        (".25", 15),
        ("8", 480),
        ("24", 1440),
        ("0", 0),
        ("", 0),
        ("0.01", 1),
        ("2H", 120),
        (None, 0),
        (75, 75),
    ],
)
def test_accepted_forms(text, minutes):
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    "text,message",
    [
        ("abc", "not a duration"),
        ("1:75", "below 60"),
        ("1h75", "below 60"),
        ("-1", "negative"),
        ("25", "24 h"),
        ("1500m", "24 h"),
        ("1..5", "not a duration"),
        ("1:", "not a duration"),
        ("h", "not a duration"),
        (True, "not a duration"),
    ],
)
def test_bad_input_says_what_is_wrong(text, message):
    with pytest.raises(DurationError, match=message):
        parse_duration(text)


@given(st.integers(min_value=0, max_value=1440))
def test_formatted_minutes_parse_back(minutes):
    assert parse_duration(format_minutes(minutes)) == minutes
    assert parse_duration(f"{minutes}m") == minutes


@given(st.integers(min_value=0, max_value=24), st.integers(min_value=0, max_value=59))
def test_hours_and_minutes_forms_agree(h, m):
    if h * 60 + m > 1440:
        with pytest.raises(DurationError):
            parse_duration(f"{h}:{m:02d}")
        return
    assert parse_duration(f"{h}:{m:02d}") == parse_duration(f"{h}h{m}") == h * 60 + m


@given(st.text(max_size=12))
def test_any_text_is_minutes_or_a_clear_error(text):
    try:
        minutes = parse_duration(text)
    except DurationError as exc:
        assert str(exc)
    else:
        assert 0 <= minutes <= 1440


def test_hours_display():
    assert format_hours(90) == "1:30" and format_hours(0) == "0:00" and format_hours(120) == "2:00"
    formats.set_active(formats.Formats("en-US", "decimal"))
    assert format_hours(90) == "1.50 h" and format_hours(0) == "0.00 h" and format_minutes(90) == "1.50"
    assert parse_duration(format_minutes(855)) == 855
    formats.set_active(formats.DEFAULT)
    assert format_minutes(0) == "" and format_minutes(605) == "10:05"
