"""python -m raftcheck: the same as the raftcheck command."""

import sys

from .cli import main

sys.exit(main())
