"""`python -m tuitrack.cli.main`."""

from tuitrack.cli.main import main

raise SystemExit(main())
