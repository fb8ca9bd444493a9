"""Per-assignment visible checks: what a test cell calls, so that the cell reads in a few lines.

One module per assignment (``helpers.checks.layers`` for 03_layers, ...). Everything here is public:
a student may read it, as they read the visible tests. Nothing secret lives here (no reference
solution, hidden input or expected value of a hidden test): hidden tests stay in the instructor's
``source/`` notebooks, and the reference values in ``source/<assignment>/hidden/``.
"""
