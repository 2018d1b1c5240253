"""ganlib.harness."""
