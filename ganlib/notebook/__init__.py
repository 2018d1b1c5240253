"""ganlib.notebook."""
