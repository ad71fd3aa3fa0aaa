"""The History mode: every message sent, newest first, with live emergency receipts."""
