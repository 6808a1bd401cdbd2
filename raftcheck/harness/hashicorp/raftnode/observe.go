package main

import (
	"encoding/json"
	"os"
	"strconv"
	"time"

	"github.com/hashicorp/raft"
)

// recordObservations appends every raft.Observation (state changes, leader changes, RequestVote
// requests received, peers added/removed) to path as JSON lines: ground truth beside the log.
// The observer never blocks raft (an observation that finds the buffer full is dropped). A state
// change carries the term raft.Stats() shows when the record is written, which may already be
// later, or still earlier, than the term of the change itself.
func recordObservations(r *raft.Raft, path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	ch := make(chan raft.Observation, 4096)
	r.RegisterObserver(raft.NewObserver(ch, false, nil))
	go func() {
		enc := json.NewEncoder(f)
		for o := range ch {
			rec := map[string]interface{}{"t": time.Now().UTC().Format(time.RFC3339Nano)}
			switch d := o.Data.(type) {
			case raft.RaftState:
				rec["kind"], rec["state"] = "state", d.String()
				rec["term_when_recorded"], _ = strconv.ParseUint(r.Stats()["term"], 10, 64)
			case raft.LeaderObservation:
				rec["kind"], rec["leader_address"] = "leader", string(d.Leader)
			case raft.PeerObservation:
				rec["kind"], rec["peer_id"], rec["peer_address"], rec["removed"] = "peer", string(d.Peer.ID), string(d.Peer.Address), d.Removed
			case raft.RequestVoteRequest:
				rec["kind"], rec["term"], rec["candidate_address"] = "request-vote", d.Term, string(d.Candidate)
				rec["last_log_index"], rec["last_log_term"], rec["leadership_transfer"] = d.LastLogIndex, d.LastLogTerm, d.LeadershipTransfer
			default:
				continue
			}
			enc.Encode(rec)
		}
	}()
	return nil
}
