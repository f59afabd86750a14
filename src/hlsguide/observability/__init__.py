"""Operability: Prometheus metrics, JSON logs and the request id carried through a request."""
