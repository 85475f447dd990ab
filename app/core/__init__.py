"""The core under everything (models included): the one clock, database helpers, URLs."""
