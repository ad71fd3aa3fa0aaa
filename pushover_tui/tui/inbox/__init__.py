"""The Inbox mode (F6): messages this machine received as a Pushover device."""
