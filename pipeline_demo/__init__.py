"""The ``perbench demo`` orchestration: the one part allowed to use every other part.

The hub (``perbench``) imports no outer package, and the four outer packages (builders,
review_ui, evaluators, models) never import each other; the demo runs them all end to end, so
it lives outside all of them, reached only through the CLI's lazy command table
(``pipeline_demo.cli``).
Nothing imports ``pipeline_demo``.
"""
