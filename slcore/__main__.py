"""``python -m slcore``: see slcore/cli.py."""

import sys

from slcore.cli import main

sys.exit(main())
