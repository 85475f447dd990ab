"""Accounts: users and sign-in tokens, claiming listings, verification, plans, settings, the
onboarding status and the public directory."""
