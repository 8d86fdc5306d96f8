"""Working hours as people type them (``presence_bot.hours_text``), checked by example and by property."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from presence_bot import hours_text
from presence_bot.hours_text import HoursTextError, parse
from presence_core import hours

MON_FRI_9_18 = [[d * 1440 + 540, d * 1440 + 1080] for d in range(5)]


@pytest.mark.parametrize("typed", [
    "mon-fri 9-18 Europe/Berlin", "Mon-Fri 09:00-18:00 europe/berlin", "weekdays 9-18 Berlin",
    "周一至周五 9:00-18:00 Europe/Berlin", "周一到周五 9点-18点 Europe/Berlin", "工作日 9：00～18：00 Europe/Berlin",
    "mon,tue,wed,thu,fri 9-18 Europe/Berlin", "Europe/Berlin mon-fri 9-18", "星期一至星期五 09:00-18:00 Europe/Berlin",
])
def test_the_same_hours_however_they_are_typed(typed: str) -> None:
    assert parse(typed.split()) == hours_text.ParsedHours(MON_FRI_9_18, "Europe/Berlin")


def test_several_ranges_days_and_overnight() -> None:
    assert parse("mon-fri 9-12 13:30-18 sat 10-14".split()).intervals == hours.normalize(
        [[d * 1440 + a, d * 1440 + b] for d in range(5) for a, b in ((540, 720), (810, 1080))] + [[7800, 8040]])
    assert parse("fri-mon 22-6 UTC".split()).intervals == hours.normalize(
        [[d * 1440 + 1320, d * 1440 + 1800] for d in (4, 5, 6, 0)])


@pytest.mark.parametrize(("typed", "key"), [
    ("", "hours.missing"), ("9-18", "hours.missing_days"), ("mon-fri", "hours.missing_times"),
    ("mon 9-25", "hours.bad_time"), ("mon 9:61-10", "hours.bad_time"), ("mon 9-9", "hours.empty_range"),
    ("mon-fri 9-18 Mars/Olympus", "hours.unknown_zone_plain"), ("mon 9-18 UTC UTC", "hours.unexpected"),
    ("weekdays", "hours.missing_times"), ("daily", "hours.missing_times"), ("工作日", "hours.missing_times"),
    ("funday 9-18", "hours.unknown_day_suggest"), ("mondey 9-18", "hours.unknown_day_suggest"),
    ("xyz 9-18", "hours.unknown_day"),
    ("daily 0-1 2-3 4-5 6-7 8-9", "hours.too_many"),
])
def test_bad_hours_say_what_is_wrong(typed: str, key: str) -> None:
    with pytest.raises(HoursTextError) as error:
        parse(typed.split())
    assert error.value.key == key


@pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules", "posix/Europe/Berlin", "right/UTC"])
def test_only_zones_that_name_a_place_are_time_zones(zone: str) -> None:
    """Files of a system's zone directory that are no place (the host's zone, "zone not set", copies)."""
    with pytest.raises(HoursTextError) as error:
        parse(["mon-fri", "9-18", zone])
    assert error.value.key.startswith("hours.unknown_zone")
    with pytest.raises(hours.UnknownTimeZoneError):
        hours.zone(zone)
    assert zone not in hours.zone_names()


def test_a_misspelled_day_is_a_day_error_and_only_close_names_are_suggested() -> None:
    with pytest.raises(HoursTextError) as error:
        parse("funday 9-18".split())
    assert error.value.values == {"text": "funday", "suggestion": "sunday"}
    assert hours_text.suggest_zone("Mars/Olympus") is None
    assert hours_text.suggest_zone("funday") is None


def test_an_unknown_zone_gets_the_closest_suggestion() -> None:
    with pytest.raises(HoursTextError) as error:
        parse("mon 9-18 Europe/Berln".split())
    assert error.value.values == {"zone": "Europe/Berln", "suggestion": "Europe/Berlin"}
    assert hours_text.suggest_zone("shanghai") == "Asia/Shanghai"
    assert parse("周一至周五 9-18 上海".split()).zone == "Asia/Shanghai"


ranges = st.tuples(st.integers(0, 23), st.sampled_from([0, 15, 30, 45]), st.integers(1, 24), st.sampled_from([0, 30]))
days = st.sets(st.integers(0, 6), min_size=1)
groups = st.lists(st.tuples(days, ranges), min_size=1, max_size=3)
EN_DAYS, ZH_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]


def _expected(spec: list) -> list[list[int]]:
    out = []
    for ds, (h1, m1, h2, m2) in spec:
        start, end = h1 * 60 + m1, min(h2 * 60 + m2, 1440)
        for d in ds:
            out.append([d * 1440 + start, d * 1440 + (end if end > start else end + 1440)])
    return hours.normalize(out)


@settings(max_examples=150, deadline=None)
@given(spec=groups.filter(lambda g: all(min(h2 * 60 + m2, 1440) != h1 * 60 + m1 for _, (h1, m1, h2, m2) in g)
                          and sum(len(d) for d, _ in g) <= hours.MAX_INTERVALS),
       chinese=st.booleans())
def test_typed_hours_parse_to_the_intervals_they_say_and_read_back_the_same(spec: list, chinese: bool) -> None:
    names, sep = (ZH_DAYS, "、") if chinese else (EN_DAYS, ",")
    words = []
    for ds, (h1, m1, h2, m2) in spec:
        end = "24:00" if h2 * 60 + m2 >= 1440 else f"{h2}:{m2:02d}"
        words += [sep.join(names[d] for d in sorted(ds)), f"{h1}:{m1:02d}-{end}"]
    parsed = parse([*words, "Asia/Shanghai"])
    assert parsed == hours_text.ParsedHours(_expected(spec), "Asia/Shanghai")
    for locale in ("en", "zh-CN"):
        assert parse(hours_text.describe(locale, parsed.intervals).split()).intervals == parsed.intervals
