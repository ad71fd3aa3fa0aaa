from pushover_tui.cli import main

raise SystemExit(main())
