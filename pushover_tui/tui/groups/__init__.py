"""The Groups mode: delivery groups, their members, on call."""
