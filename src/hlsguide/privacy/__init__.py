"""Personal data: redaction before storage, retention, and identifiers kept only as HMACs."""
