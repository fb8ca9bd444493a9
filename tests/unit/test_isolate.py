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
