"""The notebook harness (tests/harness.py) on 05_multiclass_line_search."""
from harness import *  # noqa: F401,F403  (the harness's tests and fixtures, collected here)

ASSIGNMENT = "05_multiclass_line_search"
