"""Where the patient is in recovery, and what the article says for that stage."""
