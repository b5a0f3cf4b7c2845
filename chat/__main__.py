"""`python -m chat`: the same as the `confab` command."""

import sys

from chat.cli import main

sys.exit(main())
