"""User documents: upload (type sniffed, limits, isolated parsing), list and delete."""
