"""The optional second factor: setting it up, and the code step of signing in."""
