"""The notebook harness (tests/harness.py) on 06_deep_mlp."""
from harness import *  # noqa: F401,F403  (the harness's tests and fixtures, collected here)

ASSIGNMENT = "06_deep_mlp"
