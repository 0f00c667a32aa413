"""`python -m bot.dashboard ...` (see cli.py)."""

import sys

from bot.dashboard.cli import main

sys.exit(main())
