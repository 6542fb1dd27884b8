"""Input channels patients write on, beside the REST channel (credentials.yml)."""
