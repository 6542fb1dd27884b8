"""The staff review inbox (docs/CONTENT.md, "The weekly review"): messages the assistant missed,
collected from the tracker store (collect.py), redacted before they are stored (redact.py),
grouped by similarity (group.py) and turned into file diffs by a reviewer (review.py), from
the command line (`python -m bot inbox ...`) or the staff page (web.py)."""
