# Installed by `make setup` into .venv/etc/ipython/, where every IPython kernel
# started from the project's virtual environment reads it.
#
# TensorFlow's C++ runtime writes log lines ("Could not find cuda drivers ...")
# straight to the process's stderr on import, below Python, where no Python
# setting can silence them. ipykernel would copy them into the notebook's
# stored outputs, making them machine-dependent. Here only: learners' kernels
# are untouched.
c.IPKernelApp.capture_fd_output = False  # noqa: F821 (``c`` is IPython's config object)
