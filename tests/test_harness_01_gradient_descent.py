"""The notebook harness (tests/harness.py) on 01_gradient_descent."""
from harness import *  # noqa: F401,F403  (the harness's tests and fixtures, collected here)

ASSIGNMENT = "01_gradient_descent"
