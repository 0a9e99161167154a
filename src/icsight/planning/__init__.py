"""Planning: what the population will need and how services must change to meet it."""
