"""The sweep: a plan's jobs through an executor, each in a fresh worker, recorded as it ends."""
