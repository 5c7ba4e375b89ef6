"""The coverage map's use cases: :mod:`.live` (the per-worker model, readiness changes, the
training guard's minutes), :mod:`.queries` (the map, what-ifs). Import the module you need: the
training guard imports :mod:`.live` only, and :mod:`.queries` reads trainings."""
