from helpers import isolate
import pytest
def f(): return "f"
def g(): return "g"
def test_standing_in_restores_on_failure():
    class S:
        NAMES = ("g",)
        def g(self): return "s"
    with pytest.raises(ValueError):
        with isolate.standing_in(S(), f=lambda: "x", h=1):
            assert f() == "x" and g() == "s" and globals()["h"] == 1
            raise ValueError
    assert f() == "f" and g() == "g" and "h" not in globals()
def test_skip_fails_with_reason():
    with pytest.raises(AssertionError, match="Skipped: do X"):
        isolate.skip("do X")


def test_standing_in_within_a_function_rebinds_its_globals():
    ns = {}
    exec("def caller():\n    return dep()\ndef dep():\n    return 'student'", ns)
    with isolate.standing_in(within=ns["caller"], dep=lambda: "stand-in"):
        assert ns["caller"]() == "stand-in"
    assert ns["caller"]() == "student"


def test_standing_in_within_wrapped_functions_and_a_clear_error_otherwise():
    import functools

    import numpy as np

    ns = {}
    exec("def caller(x):\n    return dep(x)\ndef dep(x):\n    return 'student'", ns)
    for wrapped in (np.vectorize(ns["caller"]), functools.partial(ns["caller"]), functools.wraps(ns["caller"])(lambda x: x)):
        with isolate.standing_in(within=wrapped, dep=lambda x: "stand-in"):
            assert ns["caller"](1) == "stand-in"
    with pytest.raises(TypeError, match="write it as a plain function"):
        isolate.standing_in(within=object(), dep=len)
