"""`raftcheck simulate`: random walks through the same model `explore` searches, for scopes too
large to exhaust.

distribution.py  how a walk chooses its next step (weights per action kind, swarm settings)
walk.py          one walk: choose, step, check every property; replay a walk's path
milestones.py    states kept per budget level, from which later walks start
engine.py        many walks, in generations, in one process or several; reproducible by seed
ray_pool.py      the walks of each generation on Ray actors (--engine ray)
shrink.py        delta debugging: a shorter path that still breaks the same property
coverage.py      the action kinds a model may take, and which a run never took
report.py        the result as text and JSON
command.py       the command's flags and output
"""
