#!/usr/bin/env bash
# The course's two entry points, each of which sets up what it needs first.
#   bash run.sh demo   build the releases, grade a demo class, print the results
#   bash run.sh test   run the whole test suite (what CI runs)
# Anything after the verb is passed on (to `python -m helpers demo` or to pytest).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

apt_install() {
    # apt_install COMMAND PACKAGE WHAT-NEEDS-IT: install a Debian package where we can (root with
    # apt) when COMMAND is missing; elsewhere say what will not work without it.
    if command -v "$1" >/dev/null 2>&1; then return; fi
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "== Installing $2 ($3) =="
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2") >/dev/null 2>&1 \
            || echo "could not install $2: $3 will not be available" >&2
    else
        echo "note: $2 is not installed (apt-get install $2): $3 will not be available" >&2
    fi
}

# The class grader runs students' code in bubblewrap (without it, grading needs --no-sandbox).
install_sandbox() { apt_install bwrap bubblewrap "the grading sandbox"; }
# tests/test_browser.py drives JupyterLab in Debian's chromium through playwright.
install_browser() { apt_install chromium chromium "the browser test"; }
# tests/test_postgres.py starts a throw-away server of Debian's postgresql.
install_postgres() { apt_install pg_ctlcluster postgresql "the PostgreSQL gradebook test"; }

setup() {
    install_sandbox
    if [ ! -x "$VENV/bin/python" ]; then
        echo "== Creating $VENV with $($PYTHON --version) =="
        "$PYTHON" -m venv "$VENV"
    fi
    # Reinstall only when requirements.txt or pyproject.toml changed since the last install.
    local stamp="$VENV/.requirements.sha"
    local want
    want=$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "== Installing requirements.txt into $VENV (a few minutes the first time) =="
        pip_quietly --upgrade pip
        pip_quietly -r requirements.txt
        echo "$want" > "$stamp"
        echo "   done ($("$VENV/bin/python" -m pip list --disable-pip-version-check 2>/dev/null | tail -n +3 | wc -l) packages)"
    fi
}

pip_quietly() {
    # pip's output goes to a log, shown (its end, and where the whole of it is) only when pip fails.
    local log="${PIP_LOG:-$VENV/pip-install.log}"
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input "$@" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "pip install $* failed: the end of its output is above; all of it is in $log" >&2
        exit 1
    fi
}

verb=${1:-}
shift || true
case "$verb" in
    demo)
        setup
        exec "$VENV/bin/python" -m helpers demo "$@"
        ;;
    test)
        setup
        install_browser
        install_postgres
        set +e
        # Two xdist workers each run sandboxed kernels and serve reference stand-ins: one BLAS thread
        # per process keeps the two cores from being oversubscribed.
        # Two workers; every test of one file stays in one worker (--dist loadfile: the harness has one file
        # per assignment, so its graders run once; xdist_group marks do not work with pytest 9 and xdist 3.8).
        OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} \
            "$VENV/bin/python" -m pytest -n 2 --dist loadfile "$@"
        status=$?
        set -e
        if [ "$status" -eq 5 ]; then
            echo "pytest collected no tests: that is a failure here (the suite must not be empty)." >&2
            exit 1
        fi
        exit "$status"
        ;;
    *)
        echo "usage: bash run.sh demo|test [ARGS...]" >&2
        exit 2
        ;;
esac
