"""`python -m benchmarks.profile_ranking` (docs/performance.md, items 26 and 28) prints where a
match's CPU goes, for ten candidates shown and for all of them."""

import re

from benchmarks import profile_ranking


def test_it_prints_the_ranking_team_and_explanations_for_ten_shown_and_for_all(capsys):
    assert profile_ranking.main(["--queries", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    figures = r"rank +[\d.]+ ms  team +[\d.]+ ms  explain +[\d.]+ ms  total +[\d.]+ ms per query \(3 queries\)"
    assert re.fullmatch(r"profile_ranking ten shown +" + figures, lines[0])
    assert re.fullmatch(r"profile_ranking every candidate shown +" + figures, lines[1])
