"""Argument splitting and durations as people type them."""

from __future__ import annotations

import pytest

from presence_bot.parsing import UnbalancedQuoteError, parse_duration, quote_arg, split_args


@pytest.mark.parametrize(("text", "args"), [
    ('status "交易 BTC" for 2h', ["status", "交易 BTC", "for", "2h"]),
    ("status “on a call” for 1h", ["status", "on a call", "for", "1h"]),
    ("status 「开会 中」", ["status", "开会 中"]),
    ("status 'quiet time'", ["status", "quiet time"]),
    ("status I'm out", ["status", "I'm", "out"]),
    ("  who   ", ["who"]),
    ('status ""', ["status", ""]),
    ("", []),
])
def test_split_args_reads_straight_curly_and_corner_quotes(text: str, args: list[str]) -> None:
    assert split_args(text) == args


@pytest.mark.parametrize("text", ['status "open', "status “open", "status 「open"])
def test_an_unclosed_quote_is_an_error_naming_the_quote(text: str) -> None:
    with pytest.raises(UnbalancedQuoteError) as error:
        split_args(text)
    assert error.value.opener == text.split()[1][0]


@pytest.mark.parametrize(("text", "ms"), [
    ("30m", 1_800_000), ("2h", 7_200_000), ("1h30m", 5_400_000), ("1d", 86_400_000), ("1h 30m", 5_400_000),
    ("2 hours", 7_200_000), ("2小时", 7_200_000), ("30分钟", 1_800_000), ("1天", 86_400_000), ("90s", 90_000),
    ("2H", 7_200_000),
])
def test_durations(text: str, ms: int) -> None:
    assert parse_duration(text) == ms


@pytest.mark.parametrize("text", ["", "2", "h", "2x", "two hours", "2h later", "-1h", "1.5h"])
def test_not_durations(text: str) -> None:
    assert parse_duration(text) is None


@pytest.mark.parametrize("arg", ["plain", "two words", 'say "hi"', "「corner」 and \"straight\" 'single'", ""])
def test_quote_arg_round_trips_through_split_args(arg: str) -> None:
    assert split_args(quote_arg(arg)) == [arg]
