"""The grader's room: everything the instructor (and a learner's ``check``) runs, never imported by a notebook.

See ARCHITECTURE.md for the map. Kernel-side modules (``helpers/*.py``, ``helpers/checks/``) never
import from here; modules here import the kernel side (the checking library, the protocol).
"""
