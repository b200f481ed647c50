"""``python -m cpaas_daemon`` is the same as the ``cpaas-daemon`` command."""

import sys

from cpaas_daemon.main import main

sys.exit(main())
