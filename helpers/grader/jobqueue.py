"""`grade --cluster slurm|pbs|sge|lsf|htcondor`: Dask workers started as batch jobs (dask-jobqueue).

The settings come from a YAML file (``--cluster-config``, by default ``cluster.yaml`` in the course
folder); every key but the last three is dask-jobqueue's own (see its docs for each scheduler):

.. code-block:: yaml

    jobs: 10                 # batch jobs to submit (each runs `processes` Dask workers)
    cores: 8                 # per job
    memory: 16GB             # per job
    processes: 4             # Dask worker processes per job (each grades one notebook at a time)
    walltime: "01:00:00"
    queue: normal            # or partition, for Slurm
    account: my-course       # optional
    job_script_prologue:     # optional: lines before the worker starts (modules, the venv)
      - source /shared/course/.venv/bin/activate
    python: /shared/course/.venv/bin/python   # the course's Python on the nodes (default: this one)
    wait_seconds: 600        # how long to wait for the first worker (queues can be slow)

Each job first checks that bubblewrap is installed on its node and exits with an error otherwise,
so a node that cannot sandbox never takes a submission; a worker that starts anyway still refuses
tasks it cannot sandbox (helpers.grader.grade.remote_grade). The scheduler runs inside the `grade`
process; the jobs end with it.
"""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path

KINDS = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster", "lsf": "LSFCluster",
         "htcondor": "HTCondorCluster", "local": "LocalCluster"}     # local: jobs as local processes (tests)
OURS = {"jobs", "wait_seconds"}
ALLOWED = OURS | {"cores", "memory", "processes", "walltime", "queue", "account", "job_script_prologue", "python",
                  "worker_extra_args", "job_extra_directives", "local_directory", "interface", "death_timeout",
                  "log_directory", "shebang", "job_cpu", "job_mem", "resource_spec", "project"}
CHECK_SANDBOX = ('command -v bwrap >/dev/null 2>&1 || { echo "error: bubblewrap (bwrap) is not installed on '
                 '$(hostname): this node cannot sandbox submissions" >&2; exit 1; }')


def load_config(path: Path) -> dict:
    """The cluster settings in `path`, checked: a clear error names a missing file or an unknown key."""
    import yaml

    if not path.is_file():
        raise ValueError(f"no cluster settings at {path}: write one (see `python -m helpers grade --help` and the "
                         f"README's 'Grading on a cluster'), or pass --cluster-config FILE")
    try:
        conf = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(conf, dict):
        raise ValueError(f"{path} must be a mapping of settings (jobs, cores, memory, ...)")
    if unknown := sorted(set(conf) - ALLOWED):
        raise ValueError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(ALLOWED))}")
    for key in ("jobs", "cores", "memory"):
        if key not in conf:
            raise ValueError(f"{path}: `{key}` is required (jobs to submit, cores and memory per job)")
    if not isinstance(conf["jobs"], int) or conf["jobs"] < 1:
        raise ValueError(f"{path}: `jobs` must be a whole number of at least 1, got {conf['jobs']!r}")
    return conf


@contextlib.contextmanager
def started(kind: str, config_path: Path, out=print):
    """A dask-jobqueue cluster of `kind` with the settings of `config_path`, scaled to its `jobs`, and a
    Client to it once a first worker is up; both are closed (the jobs cancelled) on the way out."""
    if kind not in KINDS:
        raise ValueError(f"unknown --cluster {kind!r}; one of {', '.join(sorted(KINDS))}")
    conf = load_config(Path(config_path))
    import importlib

    from distributed import Client

    jobs, wait = conf.pop("jobs"), float(conf.pop("wait_seconds", 600))
    conf.setdefault("python", sys.executable)
    if kind != "local":         # the local class runs its job script's words as one command: no prologue there
        conf["job_script_prologue"] = [CHECK_SANDBOX] + list(conf.get("job_script_prologue") or [])
    module = importlib.import_module("dask_jobqueue.local" if kind == "local" else "dask_jobqueue")
    cluster = getattr(module, KINDS[kind])(**conf)
    try:
        cluster.scale(jobs=jobs)
        out(f"submitted {jobs} {kind} job(s); waiting up to {wait:g} s for a first worker")
        with Client(cluster) as client:
            client.wait_for_workers(1, timeout=wait)
            yield client
    finally:
        cluster.close()
