"""Resource plugins: the contract (``base``, ``schema``), discovery (``registry``) and the plugins."""
