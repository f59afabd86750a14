"""The console's browser policy: a Content-Security-Policy that allows nothing from another
host, and the headers every console response carries."""

from __future__ import annotations

# Scripts, styles, images and calls come from this origin only; charts are inline SVG whose
# styling is presentation attributes (no style attributes), so no 'unsafe-inline' is needed.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",  # pages show keys, questions and answers: never cached
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
