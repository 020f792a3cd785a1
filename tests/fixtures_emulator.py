"""Live Looker emulator fixtures (filled in by the emulator work)."""
