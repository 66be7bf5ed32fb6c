"""LIO command handlers: schedule meetings and record decisions, publishing before answering."""
