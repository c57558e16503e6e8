"""Measuring quality: judged queries, BEIR collections and the plain SQLite FTS5 baseline.  Tooling on
top of the facade: the library never imports it."""
