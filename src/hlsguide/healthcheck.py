"""Container health check: exit 0 when the local API reports ready, 1 otherwise.
Run as ``python -m hlsguide.healthcheck`` (no curl needed in the image)."""

from __future__ import annotations

import sys
import urllib.request

from hlsguide.config import Settings


def main() -> int:
    """Probe ``/readyz`` on this machine's configured port."""
    url = f"http://127.0.0.1:{Settings().port}/readyz"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
