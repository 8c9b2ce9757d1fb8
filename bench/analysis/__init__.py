"""The analysis: statistics and the one set of verdict rules, per-style summaries, the paired
phase's verdicts, and two sweeps compared. Pure functions of records; nothing here writes files.
"""
