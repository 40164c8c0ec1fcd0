"""Request handlers, one module per audience or concern; each is listed in `assembly/routes.py`."""
