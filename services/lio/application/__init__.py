"""LIO command handlers: meetings, attendance, agenda changes and decisions, published before answering."""
