"""`python -m thidua ...`, the same as the `thidua` command."""

import sys

from thidua.cli import main

sys.exit(main())
