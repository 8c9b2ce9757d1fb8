"""The sweep: runs a plan's jobs through an executor, each in a fresh worker process, and
records each result as it ends.

This side never imports a framework; everything that needs Keras happens in `bench.worker`.
"""
