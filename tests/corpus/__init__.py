"""Bad-input corpus: every kind of broken file an office sends, with its expected outcome (see cases.py)."""
