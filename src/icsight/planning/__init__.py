"""Planning to 2043: projected population, demand, waiting lists and capacity by place."""
