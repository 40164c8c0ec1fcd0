"""Publishing: the council's response to each principle, and the published charter (a web page,
an accessible PDF, an easy-read PDF and open data), each version immutable."""
