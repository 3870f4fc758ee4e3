"""Octavia (load-balancer API v2): load balancers, listeners, pools, members, health monitors.

``model`` keeps the objects and the load balancer's pending-state lock,
``fields`` what each object accepts, ``api`` the routes (under both
``/load-balancer/v2`` and ``/load-balancer/v2.0``, the path openstacksdk uses).
"""

from __future__ import annotations

from .api import blueprint

__all__ = ["blueprint"]
