"""STIX timestamps: RFC 3339 in UTC with a literal Z, parsed strictly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from federation.stix.timestamps import format_timestamp, parse_timestamp


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


# -- parse_timestamp accepts -------------------------------------------------


def test_timestamp_with_milliseconds_is_parsed() -> None:
    assert parse_timestamp("2016-04-06T20:03:48.123Z") == utc(2016, 4, 6, 20, 3, 48, 123000)


def test_timestamp_without_fraction_is_parsed() -> None:
    assert parse_timestamp("2016-04-06T20:03:48Z") == utc(2016, 4, 6, 20, 3, 48)


def test_timestamp_with_one_fractional_digit_is_tenths() -> None:
    assert parse_timestamp("2016-04-06T20:03:48.5Z").microsecond == 500000


def test_timestamp_with_microseconds_is_exact() -> None:
    assert parse_timestamp("2016-04-06T20:03:48.000001Z").microsecond == 1


def test_timestamp_with_nanoseconds_is_truncated_to_microseconds() -> None:
    assert parse_timestamp("2016-04-06T20:03:48.123456999Z").microsecond == 123456


def test_parsed_timestamp_is_timezone_aware_utc() -> None:
    parsed = parse_timestamp("2016-04-06T20:03:48Z")
    assert parsed.tzinfo is UTC
    assert parsed.utcoffset() == timedelta(0)


def test_leap_day_is_accepted() -> None:
    assert parse_timestamp("2024-02-29T00:00:00Z") == utc(2024, 2, 29)


# -- parse_timestamp rejects -------------------------------------------------


@pytest.mark.parametrize("value", [None, 0, 1459972800, 1.5, True, [], {}, b"2016-04-06T20:03:48Z"])
def test_non_string_timestamp_is_rejected(value: object) -> None:
    with pytest.raises(ValueError, match="must be a string"):
        parse_timestamp(value)


def test_datetime_object_is_not_a_timestamp_string() -> None:
    with pytest.raises(ValueError, match="must be a string"):
        parse_timestamp(utc(2016, 4, 6))


@pytest.mark.parametrize(
    "value",
    [
        "",
        "2016-04-06T20:03:48",  # no Z
        "2016-04-06T20:03:48+00:00",  # offset instead of Z
        "2016-04-06T20:03:48.123+02:00",
        "2016-04-06T20:03:48z",  # lower-case z
        "2016-04-06t20:03:48Z",  # lower-case t
        "2016-04-06 20:03:48Z",  # space separator
        "2016-04-06",  # date only
        "2016-04-06T20:03Z",  # no seconds
        "2016-4-6T20:03:48Z",  # unpadded
        "2016-04-06T20:03:48.Z",  # empty fraction
        "2016-04-06T20:03:48.1234567890Z",  # ten fractional digits
        "2016-04-06T20:03:48Z\n",  # trailing newline
        " 2016-04-06T20:03:48Z",
        "\u0662016-04-06T20:03:48Z",  # Arabic-Indic digit two
        "20160406T200348Z",  # basic ISO 8601 form
    ],
)
def test_malformed_timestamp_is_rejected(value: str) -> None:
    with pytest.raises(ValueError, match="not in the STIX timestamp form"):
        parse_timestamp(value)


@pytest.mark.parametrize(
    "value",
    [
        "2016-13-01T00:00:00Z",  # month 13
        "2016-00-01T00:00:00Z",
        "2023-02-29T00:00:00Z",  # not a leap year
        "2016-04-31T00:00:00Z",
        "2016-04-06T24:00:00Z",
        "2016-04-06T20:60:00Z",
        "2016-12-31T23:59:60Z",  # leap second: datetime cannot hold it
        "0000-01-01T00:00:00Z",
    ],
)
def test_impossible_date_or_time_is_rejected(value: str) -> None:
    with pytest.raises(ValueError, match="not a valid date and time"):
        parse_timestamp(value)


def test_rejection_quotes_at_most_fifty_characters_of_input() -> None:
    with pytest.raises(ValueError, match="not in the STIX timestamp form") as caught:
        parse_timestamp("9" * 1_000_000)
    assert "9" * 51 not in str(caught.value)
    assert len(str(caught.value)) < 200


# -- format_timestamp --------------------------------------------------------


def test_formatted_timestamp_has_six_fractional_digits_and_z() -> None:
    assert format_timestamp(utc(2016, 4, 6, 20, 3, 48, 123000)) == "2016-04-06T20:03:48.123000Z"


def test_whole_second_is_formatted_with_zero_fraction() -> None:
    assert format_timestamp(utc(2016, 4, 6, 20, 3, 48)) == "2016-04-06T20:03:48.000000Z"


def test_naive_datetime_is_formatted_as_utc() -> None:
    assert format_timestamp(datetime(2016, 4, 6, 20, 3, 48)) == "2016-04-06T20:03:48.000000Z"


def test_aware_datetime_is_converted_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert (
        format_timestamp(datetime(2016, 4, 6, 22, 3, 48, tzinfo=plus_two))
        == "2016-04-06T20:03:48.000000Z"
    )


def test_early_years_are_zero_padded() -> None:
    assert format_timestamp(utc(999, 1, 2)) == "0999-01-02T00:00:00.000000Z"


@pytest.mark.parametrize(
    "value", [utc(2016, 4, 6, 20, 3, 48, 1), utc(1, 1, 1), utc(9999, 12, 31, 23, 59, 59, 999999)]
)
def test_formatted_timestamp_parses_back_to_the_same_instant(value: datetime) -> None:
    assert parse_timestamp(format_timestamp(value)) == value
