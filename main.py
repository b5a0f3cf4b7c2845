"""Run Confab from a checkout: `python main.py` serves it on http://127.0.0.1:8550.

Installed with pip, the same command line is `confab` (or `python -m chat`).
"""

import sys

from chat.cli import main

if __name__ == "__main__":
    sys.exit(main())
