import sys

from bot.tooling.evaluation.cli import main

sys.exit(main())
