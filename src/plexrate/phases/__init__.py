"""``plexrate run`` and the single-phase commands: inference planned against a session."""
