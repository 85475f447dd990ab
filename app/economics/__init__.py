"""Provider economics (issue 14): money back without asking (`refunds`), what leads cost and
brought (`results`), plan prices (`prices`) and the CSV export (`export`). Above the lead
capabilities (it reads every mode's leads and the credit ledger), beside reporting."""
