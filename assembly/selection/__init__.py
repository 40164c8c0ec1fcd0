"""Selection: runs of the engine, the public draw, the panel and its replacements."""
