"""`obsgen drill`: a real Alertmanager on loopback with the generated config, every notification
captured (drill: the plan and the report; sandbox: the Alertmanager and its drill copy; capture:
the servers the notifications land on)."""
