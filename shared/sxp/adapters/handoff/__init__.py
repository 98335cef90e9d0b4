"""Handoff transports: how a published batch reaches its consumer (one adapter each)."""
