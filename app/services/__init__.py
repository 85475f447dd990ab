"""FogForge's domain: functions that take ids or objects and a session, flush, never commit."""
