"""Custom actions, one module per topic (rasa-sdk loads every Action subclass in the package)."""
