import sys

from vigie.daemon.cli import main

sys.exit(main())
