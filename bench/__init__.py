"""What scripts/bench needs besides the facade: synthetic archives scaled up from the real one, and
approximate vectors for them."""
