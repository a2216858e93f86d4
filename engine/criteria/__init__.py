"""More criteria than arrival x vehicles (issue 14): accessibility and bikes-on-board filters."""
