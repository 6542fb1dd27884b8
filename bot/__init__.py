"""Shared Python for the microdiscectomy recovery assistant: settings, NLU components, storage, CLI."""
