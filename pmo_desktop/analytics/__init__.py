"""Read-only figures: KPIs, utilisation, risk matrix, compliance (no Qt)."""
