"""A clean install: the course's package builds without a single warning of setuptools, ships MNIST
and the licence, and installs (editable) quietly."""
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_wheel_builds_without_warnings_and_ships_mnist_and_the_licence(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
                           "-w", str(tmp_path), str(REPO)], capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    warnings = [line for line in out.splitlines() if "Warning" in line or "deprecated" in line.lower()]
    assert not warnings, "\n".join(warnings)
    wheel = next(tmp_path.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for f in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
              "t10k-labels-idx1-ubyte.gz"):
        assert f"helpers/data/mnist/{f}" in names, f
    assert any(n.endswith("licenses/LICENSE") for n in names)
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "License-Expression: MIT" in metadata


def test_setup_shows_pip_only_when_it_fails(tmp_path):
    """run.sh's pip_quietly: a failing install prints pip's end and where its log is; a good one nothing."""
    venv = Path(sys.executable).parent.parent
    log = tmp_path / "pip.log"
    script = (f"set -e; VENV={venv}; PIP_LOG={log}; source <(sed -n '/^pip_quietly()/,/^}}/p' {REPO / 'run.sh'}); "
              "pip_quietly --dry-run --no-deps --no-index WHAT")
    ok = subprocess.run(["bash", "-c", script.replace("WHAT", "pip")], capture_output=True, text=True, timeout=600)
    bad = subprocess.run(["bash", "-c", script.replace("WHAT", "no-such-package-anywhere==1.0")],
                         capture_output=True, text=True, timeout=600)
    assert bad.returncode == 1 and "failed" in bad.stderr and str(log) in bad.stderr, bad.stderr
    assert "no-such-package-anywhere" in bad.stderr           # pip's own words, shown
    assert ok.returncode == 0 and ok.stdout == "" and ok.stderr == "", (ok.stdout, ok.stderr)
