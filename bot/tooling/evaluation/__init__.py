"""`make evaluate`: held-out NLU and red-flag evaluation (`metrics`), its report (`report`) and
its command line (`cli`, run as `python -m bot.tooling.evaluation`)."""
