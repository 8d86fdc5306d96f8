"""Argument splitting and durations as people type them."""

from __future__ import annotations

import pytest

from presence_bot.parsing import Quoted, UnbalancedQuoteError, parse_duration, quote_arg, split_args


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


@pytest.mark.parametrize("text", ['status "open', "status “open", "status 「open", "status 'open", "status ‘it's"])
def test_an_unclosed_quote_is_an_error_naming_the_quote(text: str) -> None:
    with pytest.raises(UnbalancedQuoteError) as error:
        split_args(text)
    assert error.value.opener == text.split()[1][0]


@pytest.mark.parametrize(("text", "args"), [
    ("status 'Mom's birthday'", ["status", "Mom's birthday"]),
    ("status 'it's fine' for 1h", ["status", "it's fine", "for", "1h"]),
    ('status "a "b" c"', ["status", 'a "b" c']),
    ('status "he said "hi""', ["status", 'he said "hi"']),
    ("status 'the '90s were fun'", ["status", "the '90s were fun"]),
    ("status ‘it’s fine’", ["status", "it’s fine"]),
    ("status “a “b” c”", ["status", "a “b” c"]),
    ("status 「他说「好」了」", ["status", "他说「好」了"]),
    ("status 『Mom's』 day", ["status", "Mom's", "day"]),
    # A quote that never ends a word quotes nothing: the words stay as typed.
    ("status 「开会」中", ["status", "「开会」中"]),
    ("status 'Mom's birthday", ["status", "'Mom's", "birthday"]),
])
def test_a_quote_closes_only_where_a_word_ends_so_apostrophes_and_inner_quotes_stay(
        text: str, args: list[str]) -> None:
    assert split_args(text) == args


@pytest.mark.parametrize(("text", "ms"), [
    ("30m", 1_800_000), ("2h", 7_200_000), ("1h30m", 5_400_000), ("1d", 86_400_000), ("1h 30m", 5_400_000),
    ("2 hours", 7_200_000), ("2小时", 7_200_000), ("30分钟", 1_800_000), ("1天", 86_400_000), ("90s", 90_000),
    ("2H", 7_200_000),
    # Decimals and weeks; the range (1 minute to 365 days) is checked by the command, not here.
    ("1.5h", 5_400_000), ("1w", 604_800_000), ("2 weeks", 1_209_600_000), ("30s", 30_000),
    # Chinese as typed: numerals, 半, 个, Traditional characters, full-width digits and letters.
    ("半小时", 1_800_000), ("两小时", 7_200_000), ("一小时", 3_600_000), ("五分钟", 300_000),
    ("一个半小时", 5_400_000), ("两个半小时", 9_000_000), ("2小时半", 9_000_000), ("半个小时", 1_800_000),
    ("十五分钟", 900_000), ("二十分钟", 1_200_000), ("一百二十分钟", 7_200_000), ("一刻钟", 900_000),
    ("1小时零5分", 3_900_000), ("一点五小时", 5_400_000), ("两个钟头", 7_200_000), ("三天", 259_200_000),
    ("一周", 604_800_000), ("一个星期", 604_800_000), ("2 小时", 7_200_000), ("2個小時", 7_200_000),
    ("兩小時", 7_200_000), ("３０分钟", 1_800_000), ("３０ｍ", 1_800_000), ("　1h　", 3_600_000),
])
def test_durations(text: str, ms: int) -> None:
    assert parse_duration(text) == ms


@pytest.mark.parametrize("text", ["", "2", "h", "2x", "two hours", "2h later", "-1h", "1.5.h", "for 10m", "lunch",
                                  "now", "半", "小时", "1e3h", "1d30", "1h300", "30 2h"])
def test_not_durations(text: str) -> None:
    assert parse_duration(text) is None


def test_quoted_arguments_are_marked_as_text() -> None:
    plain, quoted = split_args('clear "clear"')
    assert (plain, quoted) == ("clear", "clear")
    assert not isinstance(plain, Quoted) and isinstance(quoted, Quoted)


def test_the_ideographic_space_separates_arguments() -> None:
    assert split_args("状态　开会　持续　2小时") == ["状态", "开会", "持续", "2小时"]


@pytest.mark.parametrize("arg", ["plain", "two words", 'say "hi"', "「corner」 and \"straight\" 'single'", "",
                                 "Mom's birthday", 'a "b" c', "it’s ‘fine’"])
def test_quote_arg_round_trips_through_split_args(arg: str) -> None:
    assert split_args(quote_arg(arg)) == [arg]
