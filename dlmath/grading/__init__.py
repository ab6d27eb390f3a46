"""Trusted grading of the course's exercises: ``dlmath grade``.

The package is laid out along its trust boundary:

* **sandbox side** (runs with the student's code, trusts nothing it receives):
  :mod:`.runner` runs the notebook and relays requests, :mod:`.harness` answers
  them in the student's kernel;
* **the boundary**: :mod:`.wire` (plain data only, read strictly) and
  :mod:`.sandbox` (bubblewrap, control groups, time limits);
* **trusted side** (never holds a student object): :mod:`.submissions` reads
  what was handed in, :mod:`.judge` runs the instructor's trusted tests,
  :mod:`.rules` checks how answers are written, :mod:`.report` writes the CSV,
  :mod:`.grade` ties one submission and a class together, :mod:`.cli` is the
  command line. :mod:`.local` runs the same tests in-process, for authors.

The package's own ``__init__`` imports nothing, so that the kernel side
(:mod:`.harness`, :mod:`.wire`) loads quickly inside the sandbox; import the
module you need (``from dlmath.grading import grade``).
"""
