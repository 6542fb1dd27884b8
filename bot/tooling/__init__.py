"""Tools around the assistant, never imported while a patient chats: the dev launcher
(`servers`), benchmarks (`bench`), the NLU evaluation (`evaluation`) and the content checks."""
