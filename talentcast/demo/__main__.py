"""`python -m talentcast.demo [--write] [--seed N] [--out DIR]`: summarise or write the generated demo files."""

import sys

from talentcast.demo.tables import main

sys.exit(main())
