import sys

from contracttest.cli import main

sys.exit(main())
