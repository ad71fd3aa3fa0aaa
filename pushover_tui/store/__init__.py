"""Configuration (TOML) and history (SQLite)."""
