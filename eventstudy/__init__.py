"""eventstudy: market-reaction event studies from documents to tested abnormal returns."""

__version__ = "0.1.0"
