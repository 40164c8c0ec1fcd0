"""The engagement officer's workspace: assemblies, pool and quotas, selection, draw, audit."""
