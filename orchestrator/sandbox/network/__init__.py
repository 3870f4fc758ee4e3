"""Neutron (networking API v2.0): networks, subnets, ports, routers, floating IPs, security groups.

One module per object kind; ``routes`` serves them all.  Other services call
``bind_port``, ``unbind_ports`` and ``device_addresses`` inside their own
requests, as Nova and Octavia call Neutron.
"""

from __future__ import annotations

from . import networks, ports, routers, security
from .common import blueprint
from .networks import seed
from .ports import bind_port, device_addresses, device_ports, unbind_ports
from .routes import register

register(*networks.COLLECTIONS, *ports.COLLECTIONS, *routers.COLLECTIONS, *security.COLLECTIONS)

__all__ = ["blueprint", "seed", "bind_port", "unbind_ports", "device_addresses", "device_ports"]
