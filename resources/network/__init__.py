"""The Neutron resource types: networks, subnets, ports, routers, floating IPs, security groups.

``CUSTOM_CONSTRAINTS`` checks that a named or numbered Neutron object exists
(``neutron.network`` and the like), for template validation.
"""

from __future__ import annotations

from .base import CUSTOM_CONSTRAINTS
from .floating_ip import FloatingIP, FloatingIPAssociation
from .net import Net, Subnet
from .port import Port
from .router import Router, RouterInterface
from .security_group import SecurityGroup, SecurityGroupRule

__all__ = ["CUSTOM_CONSTRAINTS", "FloatingIP", "FloatingIPAssociation", "Net", "Port", "Router", "RouterInterface",
           "SecurityGroup", "SecurityGroupRule", "Subnet"]
