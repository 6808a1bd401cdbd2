"""raftcheck: one Raft specification, model-checked exhaustively and used to validate real logs."""

__version__ = "0.1.0"
