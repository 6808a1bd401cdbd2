"""`raftcheck explore`: the model and bound flags (options.py, shared with other commands that
walk the model) and the command itself (command.py)."""
