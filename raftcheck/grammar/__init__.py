"""Log grammars (``*.lark``) and the readers that turn log lines into raftcheck events.

One reader per format family: ``etcd_server`` (etcd capnslog / zap), ``etcd_interaction``
(etcd-io/raft datadriven transcripts), ``etcd_trace`` (etcd-io/raft TLA+ trace NDJSON),
``hclog`` (hashicorp/raft). ``detect`` picks the format, ``naming`` the node names; the public
API is ``raftcheck.traces.logfiles``.
"""
