"""The Nova resource types: OS::Nova::Server, OS::Nova::KeyPair and OS::Nova::Flavor.

``CUSTOM_CONSTRAINTS`` checks that a named flavor, key pair, server or image
exists (``nova.flavor`` and the like), for template validation.
"""

from __future__ import annotations

from .constraints import CUSTOM_CONSTRAINTS
from .flavor import Flavor
from .keypair import KeyPair
from .server import Server

__all__ = ["CUSTOM_CONSTRAINTS", "Flavor", "KeyPair", "Server"]
