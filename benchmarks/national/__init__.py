"""National-scale generators and benchmarks (issue 12): addresses and timetable."""
