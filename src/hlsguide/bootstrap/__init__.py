"""The composition root: ``build_services`` and the ``Services`` bundle it returns."""

from hlsguide.bootstrap.services import Services, build_services

__all__ = ["Services", "build_services"]
