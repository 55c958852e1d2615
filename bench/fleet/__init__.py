"""The fleet test (bench/fleet_test.py): processes, load, disruptions and the verdict."""
