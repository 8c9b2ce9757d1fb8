"""The worker side: one process, one Keras backend, one job, one result; only it imports Keras."""

import time

# When this worker process began, near enough: before the framework's import, which is most
# of a process's start-up. Records carry the time from here to the job's start.
STARTED = time.perf_counter()
