"""`atlas-coord seed --demo` gives the demo states round-the-clock rosters; `roster export` and
`roster import` move a roster through a CSV file, and a bad file imports nothing."""

from __future__ import annotations

from tests.test_cli import run


def test_demo_rosters_export_and_import_back_and_a_bad_file_names_its_rows(db_url, tmp_path):
    seeded = run(db_url, "seed", "--demo")
    assert "demo duty rosters" in seeded.output and "ca-FR" in seeded.output
    exported = run(db_url, "roster", "export", "ca-FR")
    assert exported.exit_code == 0 and "timezone,,,,,,,,Europe/Paris" in exported.output
    path = tmp_path / "roster-fr.csv"
    path.write_text(exported.output, encoding="utf-8")
    imported = run(db_url, "roster", "import", "ca-FR", str(path))
    assert imported.exit_code == 0 and "imported roster ca-FR: version 2" in imported.output
    path.write_text(exported.output + "contact,,,,,,demo-ca-fr,sms,not-a-number\n", encoding="utf-8")
    refused = run(db_url, "roster", "import", "ca-FR", str(path))
    assert refused.exit_code != 0 and "row" in refused.output and "E.164" in refused.output
