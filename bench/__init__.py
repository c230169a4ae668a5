"""Benchmarks of Ally Coach against a plain ASK SDK hello-world skill: ``python -m bench``."""
