"""Dispatch (issue 13): the policy simulator that replays a metro day through the real engine."""
