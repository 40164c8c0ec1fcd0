"""Views of the assemblies room, one module per audience."""
