"""The plan: settings, profiles and the jobs of a sweep, frozen before anything runs.

Nothing here imports a framework: the plan is made in the sweep's own process.
"""
