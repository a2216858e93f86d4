"""Journey planning over the timetable: request orchestration, RAPTOR runs, reconstruction."""
