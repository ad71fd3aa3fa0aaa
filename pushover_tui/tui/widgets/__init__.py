"""Pieces every screen shares, each written once: status bar, dialogs, field rows, choices."""
