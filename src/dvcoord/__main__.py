from dvcoord.cli import main

raise SystemExit(main())
