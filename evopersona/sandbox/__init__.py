"""Run untrusted generator programs: static gate, confined worker processes, pool, LLM bridge."""
