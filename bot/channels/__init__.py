"""Input channels patients write on, each named in credentials.yml."""
