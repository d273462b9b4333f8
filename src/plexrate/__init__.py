"""plexrate: infer the missing star ratings of a Plex music library from the ones a person set."""

__version__ = "0.1.0"
