"""The application layer: one turn of any channel around the dialog core (turns.py),
the progress it keeps (keeping.py), in the time it has (budget.py)."""
