"""The bottom layer: settings and the value codecs every other package shares (ids, cursors,
error types, the span helper). It imports no other Tavle package."""
