"""``python -m engine.sample OUT_DIR``: write the sample and print the three paths."""
from engine.sample import main

raise SystemExit(main())
