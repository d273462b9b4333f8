"""Pure inference: snapshot + ownership + EngineConfig in, values and a Plan out. No I/O."""
