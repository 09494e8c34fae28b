"""Presentation: one module per experiment (same name as in experiments/), each with
    draw(config, results, folder) -> numbers
which turns cached results into figures (folder/NAME.pdf and .png, names declared in pipeline/registry.py)
and the numbers, verdicts and analysis the documents quote. Nothing here trains: a figure can be redrawn
without recomputing anything."""
