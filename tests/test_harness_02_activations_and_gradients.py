"""The notebook harness (tests/harness.py) on 02_activations_and_gradients."""
from harness import *  # noqa: F401,F403  (the harness's tests and fixtures, collected here)

ASSIGNMENT = "02_activations_and_gradients"
