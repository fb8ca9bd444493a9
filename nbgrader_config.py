"""nbgrader configuration of the course. The course root is the folder of this file."""
import os

c = get_config()  # noqa: F821 (provided by nbgrader)

HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "nn-from-scratch"
c.CourseDirectory.root = HERE
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# Files only the hidden tests need (reference values, realistic mistakes) stay out of releases.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "hidden"]
# A PostgreSQL gradebook works too, e.g.
#   export COURSE_DB_URL=postgresql://user:password@localhost/gradebook
c.CourseDirectory.db_url = os.environ.get("COURSE_DB_URL", "sqlite:///" + os.path.join(HERE, "gradebook.db"))

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Every notebook runs in seconds; a cell that takes minutes is a runaway loop.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
