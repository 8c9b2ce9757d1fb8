"""The analysis: statistics, verdict rules and summaries, as pure functions of records."""
