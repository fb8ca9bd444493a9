"""``python -m helpers VERB``: the door from the command line to the grader's room (helpers.grader.cli)."""
import sys

from .grader.cli import main

if __name__ == "__main__":
    sys.exit(main())
