"""nbgrader configuration for the course (headless: command line and Python API).

solutions/<assignment>/<assignment>.ipynb  is nbgrader's *source* directory (instructor notebooks),
exercises/<assignment>/<assignment>.ipynb  is its *release* directory (student notebooks).
One assignment per chapter: ch01_tensors, ch02_linear_algebra, …
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

ROOT = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = ROOT
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.course_id = "dlmath"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(ROOT, "gradebook.db")
# Student notebooks get a stub where the solution was.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
