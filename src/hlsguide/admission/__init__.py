"""Admission: who may ask (API keys, scopes, rate limits) and how many answers run at once.
Shared by the API and every channel."""
