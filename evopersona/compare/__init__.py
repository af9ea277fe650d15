"""`evopersona compare`: the paper's evaluation protocol (method.md §1.11) on held-out tasks."""
