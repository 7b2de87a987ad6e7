"""The operator console at /console: server-rendered pages over the same service code."""
