"""The Config mode: keys, sending defaults, verification and profiles."""
