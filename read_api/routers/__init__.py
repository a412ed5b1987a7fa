"""One router per resource: an organisation's emissions, the emission summary, health."""
