"""The Compose mode: a Draft model, the components that show it, the outcome panel, the screen."""
