// Command raftnode runs one hashicorp/raft node for raftcheck's cluster harness: the library's
// own TCP transport, a BoltDB log and stable store (raft-boltdb, as Consul and Nomad use), a file
// snapshot store and a small key/value state machine. The library logs through hclog to -log;
// the harness drives the node through an HTTP control server on a Unix socket (-control), which
// no network fault touches. See docs/hashicorp-cluster-harness.md.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb"
)

type options struct {
	id, bind, dir, control, logPath, observations string
	bootstrap                                     string
	logFormat, logLevel                           string
	streamCuts                                    bool
	heartbeat, election, lease, commit            time.Duration
	snapshotInterval                              time.Duration
	snapshotThreshold, trailingLogs               uint64
	maxAppend                                     int
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.id, "id", "", "server ID (e.g. node1)")
	flag.StringVar(&o.bind, "bind", "", "host:port the raft transport listens on and advertises")
	flag.StringVar(&o.dir, "dir", "", "data directory (raft.db, snapshots/)")
	flag.StringVar(&o.control, "control", "", "path of the control server's Unix socket")
	flag.StringVar(&o.logPath, "log", "", "file the hclog output is appended to")
	flag.StringVar(&o.observations, "observations", "", "file raft.Observer records are appended to (JSON lines)")
	flag.StringVar(&o.bootstrap, "bootstrap", "", "bootstrap a new cluster with these servers (id=host:port,...) before starting; ignored when the data dir has state")
	flag.StringVar(&o.logFormat, "log-format", "text", "text or json")
	flag.StringVar(&o.logLevel, "log-level", "debug", "trace, debug, info, warn or error")
	flag.BoolVar(&o.streamCuts, "stream-cuts", false, "wrap the TCP stream layer so that the control server can cut links (for clusters on one loopback address)")
	flag.DurationVar(&o.heartbeat, "heartbeat-timeout", time.Second, "raft.Config.HeartbeatTimeout")
	flag.DurationVar(&o.election, "election-timeout", time.Second, "raft.Config.ElectionTimeout")
	flag.DurationVar(&o.lease, "leader-lease-timeout", 500*time.Millisecond, "raft.Config.LeaderLeaseTimeout")
	flag.DurationVar(&o.commit, "commit-timeout", 50*time.Millisecond, "raft.Config.CommitTimeout")
	flag.DurationVar(&o.snapshotInterval, "snapshot-interval", 120*time.Second, "raft.Config.SnapshotInterval")
	flag.Uint64Var(&o.snapshotThreshold, "snapshot-threshold", 8192, "raft.Config.SnapshotThreshold")
	flag.Uint64Var(&o.trailingLogs, "trailing-logs", 10240, "raft.Config.TrailingLogs")
	flag.IntVar(&o.maxAppend, "max-append-entries", 64, "raft.Config.MaxAppendEntries")
	flag.Parse()
	for name, value := range map[string]string{"id": o.id, "bind": o.bind, "dir": o.dir, "control": o.control, "log": o.logPath} {
		if value == "" {
			fatalf("-%s is required", name)
		}
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		fatalf("-log-format must be text or json, not %q", o.logFormat)
	}
	if hclog.LevelFromString(o.logLevel) == hclog.NoLevel {
		fatalf("-log-level %q is not an hclog level", o.logLevel)
	}
	return o
}

func fatalf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "raftnode: "+format+"\n", args...)
	os.Exit(2)
}

// node is everything the control server needs.
type node struct {
	id     raft.ServerID
	addr   raft.ServerAddress
	raft   *raft.Raft
	fsm    *kvFSM
	store  *raftboltdb.BoltStore
	cuts   *cutStream // nil unless -stream-cuts
	logger hclog.Logger
}

func main() {
	o := parseFlags()
	logFile, err := os.OpenFile(o.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fatalf("open log: %v", err)
	}
	// One mutex for every logger writing to the file, so lines never interleave.
	var mu sync.Mutex
	newLogger := func(name string) hclog.Logger {
		return hclog.New(&hclog.LoggerOptions{
			Name: name, Level: hclog.LevelFromString(o.logLevel), Output: logFile, Mutex: &mu,
			JSONFormat: o.logFormat == "json",
		})
	}
	// The library's loggers are named as Consul names them under its prefix: raft,
	// raft.snapshot, raft.net. Lines of this program use "raftnode".
	raftLogger, appLogger := newLogger("raft"), newLogger("raftnode")

	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		fatalf("data dir: %v", err)
	}
	store, err := raftboltdb.NewBoltStore(filepath.Join(o.dir, "raft.db"))
	if err != nil {
		fatalf("bolt store: %v", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(o.dir, 2, raftLogger.Named("snapshot"))
	if err != nil {
		fatalf("snapshot store: %v", err)
	}
	advertise, err := net.ResolveTCPAddr("tcp", o.bind)
	if err != nil {
		fatalf("-bind: %v", err)
	}
	const maxPool, ioTimeout = 3, 10 * time.Second
	var trans *raft.NetworkTransport
	var cuts *cutStream
	if o.streamCuts {
		ln, err := net.Listen("tcp", o.bind)
		if err != nil {
			fatalf("listen: %v", err)
		}
		cuts = newCutStream(ln, advertise, appLogger)
		trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
			Stream: cuts, MaxPool: maxPool, Timeout: ioTimeout, Logger: raftLogger.Named("net"),
		})
	} else {
		trans, err = raft.NewTCPTransportWithLogger(o.bind, advertise, maxPool, ioTimeout, raftLogger.Named("net"))
		if err != nil {
			fatalf("tcp transport: %v", err)
		}
	}

	conf := raft.DefaultConfig()
	conf.LocalID = raft.ServerID(o.id)
	conf.Logger = raftLogger
	conf.HeartbeatTimeout, conf.ElectionTimeout = o.heartbeat, o.election
	conf.LeaderLeaseTimeout, conf.CommitTimeout = o.lease, o.commit
	conf.SnapshotInterval, conf.SnapshotThreshold = o.snapshotInterval, o.snapshotThreshold
	conf.TrailingLogs, conf.MaxAppendEntries = o.trailingLogs, o.maxAppend
	if err := raft.ValidateConfig(conf); err != nil {
		fatalf("config: %v", err)
	}

	fsm := newKVFSM()
	appLogger.Info("starting", "id", o.id, "address", o.bind, "pid", os.Getpid(), "stream-cuts", o.streamCuts)
	if o.bootstrap != "" {
		// As Consul and Nomad do: write the first configuration into the stores before NewRaft,
		// which then logs it as its "initial configuration".
		cfg, err := parseServers(o.bootstrap)
		if err != nil {
			fatalf("-bootstrap: %v", err)
		}
		switch err := raft.BootstrapCluster(conf, store, store, snaps, trans, cfg); err {
		case nil:
			appLogger.Info("bootstrapped a new cluster", "servers", fmt.Sprintf("%+v", cfg.Servers))
		case raft.ErrCantBootstrap: // a restart: the stores already hold state
		default:
			fatalf("bootstrap: %v", err)
		}
	}
	r, err := raft.NewRaft(conf, fsm, store, store, snaps, trans)
	if err != nil {
		fatalf("NewRaft: %v", err)
	}
	n := &node{id: conf.LocalID, addr: trans.LocalAddr(), raft: r, fsm: fsm, store: store, cuts: cuts,
		logger: appLogger}
	if o.observations != "" {
		if err := recordObservations(r, o.observations); err != nil {
			fatalf("observations: %v", err)
		}
	}
	if err := serveControl(n, o.control); err != nil {
		fatalf("control server: %v", err)
	}
}

// parseServers reads "id=host:port,id=host:port" as a configuration of voters.
func parseServers(text string) (raft.Configuration, error) {
	var cfg raft.Configuration
	for _, item := range strings.Split(text, ",") {
		parts := strings.SplitN(item, "=", 2)
		if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
			return cfg, fmt.Errorf("%q is not id=host:port", item)
		}
		cfg.Servers = append(cfg.Servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(parts[0]), Address: raft.ServerAddress(parts[1])})
	}
	return cfg, nil
}
