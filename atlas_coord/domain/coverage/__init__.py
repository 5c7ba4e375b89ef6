"""Where Europe is thin: the time until the first capable and available unit reaches each cell.

:mod:`.grid` the cells (25 km equal-area squares over the ATLAS states' land and coastal waters),
:mod:`.times` the per-unit × per-cell minutes from the transport model (notice to move + route, the
ranking's one-to-many path), :mod:`.model` the minima per capability with incremental updates and
what-ifs, :mod:`.summary` per state and region.
"""
