"""The plan: settings, profiles and a sweep's jobs, frozen before anything runs; no framework."""
