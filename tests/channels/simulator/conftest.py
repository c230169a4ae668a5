"""Fixtures of the simulator's tests: see sim_browser.py."""

from sim_browser import browser, server

__all__ = ["browser", "server"]
