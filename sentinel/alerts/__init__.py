"""Alerts and continuous monitoring: rules evaluated after every scan and report, their
alerts' lifecycle, and the worker jobs that rescan domains and watch for silence."""
