"""OS::Octavia::*: load balancers and what hangs off them (listeners, pools, members, health monitors).

``base`` holds what they share (waiting for the load balancer's turn),
``balancer`` the load balancer and its listeners, ``pool`` pools, members
and health monitors.
"""

from __future__ import annotations

from typing import Any, Callable

from resources.cloud import lookup

from .balancer import Listener, LoadBalancer
from .pool import HealthMonitor, Pool, PoolMember

__all__ = ["CUSTOM_CONSTRAINTS", "HealthMonitor", "Listener", "LoadBalancer", "Pool", "PoolMember"]


#: the constraint names this package checks against the cloud
CUSTOM_CONSTRAINTS: dict[str, Callable[[Any, str], None]] = {
    "octavia.loadbalancer": lookup("load_balancer", "load_balancer"),
    "octavia.listener": lookup("load_balancer", "listener"),
    "octavia.pool": lookup("load_balancer", "pool"),
    "octavia.flavor": lookup("load_balancer", "flavor"),
}
