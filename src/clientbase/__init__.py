"""Clientbase: customer management service."""
