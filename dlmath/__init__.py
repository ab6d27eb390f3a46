"""dlmath: the helper package of the *Mathematics of Deep Learning* course.

The chapters teach the maths in their own cells; this package holds what
serves them: the plotting style, offline datasets, self-check helpers for the
exercises, the explorers (widgets), the grader and the finished from-scratch
network. Importing it is cheap: submodules are imported on demand.
"""

import os as _os

# TensorFlow prints C++ log lines on import and on first use. They say nothing
# to a learner and would make stored notebook outputs machine-dependent, so we
# quieten them before any chapter imports TensorFlow (``import dlmath`` comes
# first in every setup cell). A user who has set these variables keeps theirs.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# oneDNN reorders floating-point sums; turning it off keeps results identical
# from run to run, which the stored-output tests rely on.
_os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

__version__ = "0.2.0"

__all__ = ["__version__"]
