"""Benchmarks run against a throwaway database (``make bench-registry``); not part of the app or the tests."""
