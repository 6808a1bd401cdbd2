package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/hashicorp/raft"
)

// The control server: one JSON request, one JSON answer. Every handler answers within the
// request's timeout even when raft is stuck; an operation whose fate is unknown at that point
// says so ("outcome": "unknown").

var errNoAnswer = errors.New("raftcheck: no answer from raft within the timeout")

type answer map[string]interface{}

func serveControl(n *node, path string) error {
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	routes := map[string]func(*node, *http.Request) (int, answer){
		"/status":        handleStatus,
		"/apply":         handleApply,
		"/read":          handleRead,
		"/bootstrap":     handleBootstrap,
		"/add-voter":     handleMembership("AddVoter"),
		"/add-nonvoter":  handleMembership("AddNonvoter"),
		"/remove-server": handleMembership("RemoveServer"),
		"/demote-voter":  handleMembership("DemoteVoter"),
		"/transfer":      handleTransfer,
		"/snapshot":      handleSnapshot,
		"/cuts":          handleCuts,
		"/log":           handleLog,
		"/fsm":           handleFSM,
	}
	for path, handler := range routes {
		handler := handler
		mux.HandleFunc(path, func(w http.ResponseWriter, req *http.Request) {
			code, body := handler(n, req)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			json.NewEncoder(w).Encode(body)
		})
	}
	return http.Serve(ln, mux)
}

// request decodes the JSON body into v (an empty body leaves v as it is).
func request(req *http.Request, v interface{}) error {
	if req.Body == nil || req.ContentLength == 0 {
		return nil
	}
	return json.NewDecoder(req.Body).Decode(v)
}

func timeoutOf(ms int) time.Duration {
	if ms <= 0 {
		return 5 * time.Second
	}
	return time.Duration(ms) * time.Millisecond
}

// await waits for a future's error, at most d.
func await(f raft.Future, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		return errNoAnswer
	}
}

// outcome says whether a failed write may still take effect. ErrNotLeader, an enqueue timeout
// and a transfer in progress refuse the command before it reaches the log; any other error
// (leadership lost while committing, shutdown, no answer) leaves it possibly committed.
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrEnqueueTimeout),
		errors.Is(err, raft.ErrLeadershipTransferInProgress), errors.Is(err, raft.ErrCantBootstrap),
		errors.Is(err, raft.ErrNothingNewToSnapshot), errors.Is(err, raft.ErrUnsupportedProtocol):
		return "fail"
	default:
		return "unknown"
	}
}

func result(err error, fields answer) (int, answer) {
	fields["outcome"] = outcome(err)
	if err != nil {
		fields["error"] = err.Error()
	}
	return http.StatusOK, fields
}

// withLeaderHint adds the leader this node knows of to a refusal, as a client redirect needs.
func withLeaderHint(n *node, code int, body answer) (int, answer) {
	if body["outcome"] != "ok" {
		body["leader_address"] = string(n.raft.Leader())
	}
	return code, body
}

func badRequest(format string, args ...interface{}) (int, answer) {
	return http.StatusBadRequest, answer{"outcome": "fail", "error": fmt.Sprintf(format, args...)}
}

type serverJSON struct {
	ID       string `json:"id"`
	Address  string `json:"address"`
	Suffrage string `json:"suffrage"`
}

func serversJSON(servers []raft.Server) []serverJSON {
	out := make([]serverJSON, 0, len(servers))
	for _, s := range servers {
		out = append(out, serverJSON{string(s.ID), string(s.Address), s.Suffrage.String()})
	}
	return out
}

func handleStatus(n *node, req *http.Request) (int, answer) {
	type status struct {
		stats  map[string]string
		config raft.ConfigurationFuture
	}
	done := make(chan status, 1)
	go func() {
		cf := n.raft.GetConfiguration()
		cf.Error()
		done <- status{n.raft.Stats(), cf}
	}()
	var st status
	select {
	case st = <-done:
	case <-time.After(2 * time.Second):
		return http.StatusServiceUnavailable, answer{"error": errNoAnswer.Error()}
	}
	num := func(key string) uint64 {
		v, _ := strconv.ParseUint(st.stats[key], 10, 64)
		return v
	}
	leaderAddr := string(n.raft.Leader())
	leaderID := ""
	var servers []raft.Server
	if st.config.Error() == nil {
		servers = st.config.Configuration().Servers
	}
	for _, s := range servers {
		if string(s.Address) == leaderAddr {
			leaderID = string(s.ID)
		}
	}
	img := n.fsm.image()
	// What raft persisted in its stable store (the keys are the library's own): the term and
	// vote a restart must keep.
	storedTerm, _ := n.store.GetUint64([]byte("CurrentTerm"))
	voteTerm, _ := n.store.GetUint64([]byte("LastVoteTerm"))
	voteCand, _ := n.store.Get([]byte("LastVoteCand"))
	body := answer{
		"stored_term": storedTerm, "last_vote_term": voteTerm, "last_vote_candidate": string(voteCand),
		"id": string(n.id), "address": string(n.addr), "pid": os.Getpid(),
		"state": st.stats["state"], "term": num("term"),
		"leader_id": leaderID, "leader_address": leaderAddr,
		"last_log_index": num("last_log_index"), "last_log_term": num("last_log_term"),
		"commit_index": num("commit_index"), "applied_index": num("applied_index"),
		"last_snapshot_index": num("last_snapshot_index"), "last_snapshot_term": num("last_snapshot_term"),
		"configuration": serversJSON(servers),
		"last_contact":  st.stats["last_contact"],
		"fsm_index":     img.LastIndex, "fsm_keys": len(img.Data), "fsm_digest": digest(img.Data),
	}
	if n.cuts != nil {
		body["cut"] = n.cuts.cutPeers()
	}
	return http.StatusOK, body
}

func handleApply(n *node, req *http.Request) (int, answer) {
	var body struct {
		Op        string `json:"op"`
		Key       string `json:"key"`
		Value     string `json:"value"`
		TimeoutMS int    `json:"timeout_ms"`
	}
	if err := request(req, &body); err != nil {
		return badRequest("apply: %v", err)
	}
	if body.Op == "" {
		body.Op = "set"
	}
	cmd, _ := json.Marshal(command{Op: body.Op, Key: body.Key, Value: body.Value})
	d := timeoutOf(body.TimeoutMS)
	f := n.raft.Apply(cmd, d)
	err := await(f, d)
	fields := answer{}
	if err == nil {
		if resp, isErr := f.Response().(error); isErr && resp != nil {
			err = resp
		}
		fields["index"] = f.Index()
	}
	code, reply := result(err, fields)
	return withLeaderHint(n, code, reply)
}

// handleRead serves a read of one key. mode "barrier" (default) commits a barrier entry first:
// the read reflects every write committed before it, and fails on a node that is not leader.
// "verify" asks raft.VerifyLeader (a round of heartbeats to a quorum) and then waits until the
// state machine has applied the commit index seen before the round. "stale" reads local state.
func handleRead(n *node, req *http.Request) (int, answer) {
	key := req.URL.Query().Get("key")
	mode := req.URL.Query().Get("mode")
	ms, _ := strconv.Atoi(req.URL.Query().Get("timeout_ms"))
	d := timeoutOf(ms)
	var err error
	switch mode {
	case "", "barrier":
		mode = "barrier"
		err = await(n.raft.Barrier(d), d)
	case "verify":
		commit, _ := strconv.ParseUint(n.raft.Stats()["commit_index"], 10, 64)
		deadline := time.Now().Add(d)
		if err = await(n.raft.VerifyLeader(), d); err == nil {
			for n.raft.AppliedIndex() < commit && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if n.raft.AppliedIndex() < commit {
				err = errNoAnswer
			}
		}
	case "stale":
	default:
		return badRequest("read: mode must be barrier, verify or stale, not %q", mode)
	}
	fields := answer{"mode": mode}
	if err == nil {
		value, found, index := n.fsm.get(key)
		fields["found"], fields["fsm_index"] = found, index
		if found {
			fields["value"] = value
		}
	}
	code, body := result(err, fields)
	if body["outcome"] == "unknown" { // a read that did not answer changed nothing
		body["outcome"] = "fail"
	}
	return withLeaderHint(n, code, body)
}

type serverRequest struct {
	ID        string `json:"id"`
	Address   string `json:"address"`
	Suffrage  string `json:"suffrage"`
	PrevIndex uint64 `json:"prev_index"`
	TimeoutMS int    `json:"timeout_ms"`
}

func handleBootstrap(n *node, req *http.Request) (int, answer) {
	var body struct {
		Servers []serverRequest `json:"servers"`
	}
	if err := request(req, &body); err != nil {
		return badRequest("bootstrap: %v", err)
	}
	var cfg raft.Configuration
	for _, s := range body.Servers {
		suffrage := raft.Voter
		if s.Suffrage == "Nonvoter" {
			suffrage = raft.Nonvoter
		}
		cfg.Servers = append(cfg.Servers, raft.Server{Suffrage: suffrage, ID: raft.ServerID(s.ID), Address: raft.ServerAddress(s.Address)})
	}
	n.logger.Info("bootstrapping", "servers", fmt.Sprintf("%+v", cfg.Servers))
	return result(await(n.raft.BootstrapCluster(cfg), 5*time.Second), answer{})
}

func handleMembership(op string) func(*node, *http.Request) (int, answer) {
	return func(n *node, req *http.Request) (int, answer) {
		var s serverRequest
		if err := request(req, &s); err != nil || s.ID == "" {
			return badRequest("%s: needs a JSON body with id (%v)", op, err)
		}
		d := timeoutOf(s.TimeoutMS)
		id, addr := raft.ServerID(s.ID), raft.ServerAddress(s.Address)
		var f raft.IndexFuture
		switch op {
		case "AddVoter":
			f = n.raft.AddVoter(id, addr, s.PrevIndex, d)
		case "AddNonvoter":
			f = n.raft.AddNonvoter(id, addr, s.PrevIndex, d)
		case "RemoveServer":
			f = n.raft.RemoveServer(id, s.PrevIndex, d)
		case "DemoteVoter":
			f = n.raft.DemoteVoter(id, s.PrevIndex, d)
		}
		n.logger.Info("membership change requested", "op", op, "server-id", s.ID, "server-addr", s.Address)
		err := await(f, d)
		fields := answer{"op": op}
		if err == nil {
			fields["index"] = f.Index()
		}
		return result(err, fields)
	}
}

func handleTransfer(n *node, req *http.Request) (int, answer) {
	var s serverRequest
	if err := request(req, &s); err != nil {
		return badRequest("transfer: %v", err)
	}
	var f raft.Future
	if s.ID == "" {
		f = n.raft.LeadershipTransfer()
	} else {
		f = n.raft.LeadershipTransferToServer(raft.ServerID(s.ID), raft.ServerAddress(s.Address))
	}
	return result(await(f, timeoutOf(s.TimeoutMS)), answer{})
}

func handleSnapshot(n *node, req *http.Request) (int, answer) {
	f := n.raft.Snapshot()
	err := await(f, 30*time.Second)
	fields := answer{}
	if err == nil {
		meta, rc, openErr := f.Open()
		if openErr != nil {
			err = openErr
		} else {
			rc.Close()
			fields["id"], fields["index"], fields["term"] = meta.ID, meta.Index, meta.Term
		}
	}
	return result(err, fields)
}

func handleCuts(n *node, req *http.Request) (int, answer) {
	if n.cuts == nil {
		return badRequest("cuts: this node was started without -stream-cuts")
	}
	var body struct {
		Peers []string `json:"peers"`
	}
	if err := request(req, &body); err != nil {
		return badRequest("cuts: %v", err)
	}
	closed := n.cuts.setCuts(body.Peers)
	n.logger.Info("cut links set", "peers", fmt.Sprintf("%v", body.Peers), "closed-connections", closed)
	return http.StatusOK, answer{"outcome": "ok", "cut": n.cuts.cutPeers(), "closed_connections": closed}
}

var logTypes = map[raft.LogType]string{
	raft.LogCommand: "Command", raft.LogNoop: "Noop", raft.LogAddPeerDeprecated: "AddPeer",
	raft.LogRemovePeerDeprecated: "RemovePeer", raft.LogBarrier: "Barrier",
	raft.LogConfiguration: "Configuration",
}

// handleLog lists the entries in the node's log store: after a snapshot only the trailing
// ones, and after an InstallSnapshot the store can have gaps (raft 1.1 compacts a follower's
// log only below its old last index), listed as [from, to] ranges.
func handleLog(n *node, req *http.Request) (int, answer) {
	first, err := n.store.FirstIndex()
	if err != nil {
		return http.StatusInternalServerError, answer{"error": err.Error()}
	}
	last, err := n.store.LastIndex()
	if err != nil {
		return http.StatusInternalServerError, answer{"error": err.Error()}
	}
	entries, gaps := []answer{}, [][2]uint64{}
	for i := first; i <= last && i > 0; i++ {
		var l raft.Log
		if err := n.store.GetLog(i, &l); err == raft.ErrLogNotFound {
			if len(gaps) > 0 && gaps[len(gaps)-1][1] == i-1 {
				gaps[len(gaps)-1][1] = i
			} else {
				gaps = append(gaps, [2]uint64{i, i})
			}
			continue
		} else if err != nil {
			return http.StatusInternalServerError, answer{"error": fmt.Sprintf("entry %d: %v", i, err)}
		}
		e := answer{"index": l.Index, "term": l.Term, "type": logTypes[l.Type]}
		switch l.Type {
		case raft.LogCommand:
			var c command
			if json.Unmarshal(l.Data, &c) == nil {
				e["command"] = c
			}
		case raft.LogConfiguration:
			e["servers"] = serversJSON(raft.DecodeConfiguration(l.Data).Servers)
		}
		entries = append(entries, e)
	}
	return http.StatusOK, answer{"first_index": first, "last_index": last, "gaps": gaps, "entries": entries}
}

func handleFSM(n *node, req *http.Request) (int, answer) {
	img := n.fsm.image()
	return http.StatusOK, answer{"index": img.LastIndex, "data": img.Data, "digest": digest(img.Data)}
}
