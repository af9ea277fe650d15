"""Episodes: a persona-conditioned user simulator talking to an agent (built-in or τ²-bench)."""
