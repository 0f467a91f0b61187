"""Ways of sending: the Transport protocol, the generic worker, report matching."""
