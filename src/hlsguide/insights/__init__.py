"""The learning loop's read side: what commissioners ask that the corpus answers poorly."""
