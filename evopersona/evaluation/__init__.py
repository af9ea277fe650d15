"""Evaluation of one generator program: cascade, personas, episodes, fitness, reflection."""
