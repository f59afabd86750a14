"""The answer layer: lens, retrieval shaped by it, a generator, verified citations."""
