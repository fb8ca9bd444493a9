"""The notebook harness (tests/harness.py) on 04_binary_mnist."""
from harness import *  # noqa: F401,F403  (the harness's tests and fixtures, collected here)

ASSIGNMENT = "04_binary_mnist"
