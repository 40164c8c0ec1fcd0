"""The Minipublic web application (Starlette)."""
