"""Reporting: the admin dashboard's metrics."""
