"""Exit codes, the same for every sub-command."""

HOLDS = 0  # every property holds / the logs conform
VIOLATED = 1  # a property is violated / the logs do not conform
USAGE = 2  # bad flags, impossible bounds, unreadable input
STOPPED = 3  # a budget (--max-states, --time-limit) or Ctrl-C ended the work first
INCONCLUSIVE = 4  # the logs use features outside the model, or observe too little
INTERNAL = 5  # a bug in raftcheck: never reported as a verdict

DESCRIPTIONS = {
    HOLDS: "holds / conforms",
    VIOLATED: "violated / does not conform",
    USAGE: "bad usage or input",
    STOPPED: "stopped by a budget or an interrupt before finishing",
    INCONCLUSIVE: "inconclusive",
    INTERNAL: "internal error (a bug in raftcheck, not a verdict)",
}


class UsageError(Exception):
    """Bad flags or unusable input: reported by the CLI as one line, exit code USAGE."""


class InternalError(Exception):
    """An unexpected exception, with what raftcheck was doing when it happened (``where``, e.g.
    the file:line of the log event being checked). The CLI reports it with exit code INTERNAL."""

    def __init__(self, where: str, cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {cause} (while {where})")
        self.where, self.cause = where, cause
