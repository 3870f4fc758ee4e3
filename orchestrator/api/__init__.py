"""Heat's v1 REST API (Flask): the service's front door."""

from .app import create_app

__all__ = ["create_app"]
