"""Heat's own resource types (OS::Heat::*): they need no cloud service."""
