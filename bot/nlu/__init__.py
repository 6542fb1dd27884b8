"""Custom Rasa NLU components, referenced by path in config.yml."""
