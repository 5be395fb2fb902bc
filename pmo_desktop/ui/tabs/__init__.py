"""The main window's tabs: one module per tab (portfolio, resources, risks, governance)."""
