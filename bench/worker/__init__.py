"""The worker side: everything that runs with Keras loaded, in a process of its own.

`python -m bench.worker KIND RESULT_JSON < job` selects one Keras backend, does one job (a run,
a paired phase, a device check, a capability check) and writes one result. Only this package
imports Keras or a framework.
"""

import time

# When this worker process began, near enough: before the framework's import, which is most
# of a process's start-up. Records carry the time from here to the job's start.
STARTED = time.perf_counter()
