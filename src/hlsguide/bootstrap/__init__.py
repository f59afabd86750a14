"""The composition root: ``build_services`` and the ``Services`` bundle it returns."""

from hlsguide.bootstrap.services import Services, build_services, open_store

__all__ = ["Services", "build_services", "open_store"]
