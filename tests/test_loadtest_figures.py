"""How `make loadtest` turns its load steps into the saturation figure it prints (issue #18)."""

from __future__ import annotations

import math

from benchmarks.loadtest.figures import measured_saturation


def test_saturation_is_where_p99_crosses_one_second_between_two_steps():
    # window 40 calls/s at p99 200 ms; x2 80 at 400 ms; x4 120 at 1,800 ms: 1 s is crossed
    # three sevenths of the way from 80 to 120 calls/s.
    rps, crossed = measured_saturation([(40.0, 200.0), (80.0, 400.0), (120.0, 1800.0)])
    assert crossed
    assert math.isclose(rps, 80 + 40 * 600 / 1400)


def test_when_no_step_crosses_one_second_the_highest_rate_is_a_lower_bound():
    assert measured_saturation([(40.0, 120.0), (80.0, 300.0), (150.0, 900.0)]) == (150.0, False)


def test_a_steady_load_already_past_one_second_is_itself_the_saturation():
    assert measured_saturation([(30.0, 2500.0), (31.0, 6000.0)]) == (30.0, True)


def test_throughput_that_falls_as_p99_climbs_still_gives_a_rate_between_the_two_steps():
    rps, crossed = measured_saturation([(100.0, 500.0), (90.0, 1500.0)])
    assert crossed and 90.0 <= rps <= 100.0
