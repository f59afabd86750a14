"""Batch FAQ generation (questions in, a cited FAQ out) and curated, approved answers."""

DEFAULT_TITLE = "Frequently asked questions"
