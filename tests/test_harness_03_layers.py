"""The notebook harness (tests/harness.py) on 03_layers."""
from harness import *  # noqa: F401,F403  (the harness's tests and fixtures, collected here)

ASSIGNMENT = "03_layers"
