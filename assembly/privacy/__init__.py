"""Privacy: retention and purge of personal data, and erasure on request."""
