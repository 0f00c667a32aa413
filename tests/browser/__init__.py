"""Browser tests: the web chat in headless Chromium."""
