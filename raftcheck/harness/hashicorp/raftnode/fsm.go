package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/hashicorp/raft"
)

// command is the payload of every LogCommand entry this program writes.
type command struct {
	Op    string `json:"op"`
	Key   string `json:"key"`
	Value string `json:"value"`
}

// kvFSM is a key/value map; lastIndex is the index of the last entry it applied (or of the
// snapshot it was restored from).
type kvFSM struct {
	mu        sync.Mutex
	data      map[string]string
	lastIndex uint64
}

func newKVFSM() *kvFSM { return &kvFSM{data: map[string]string{}} }

func (f *kvFSM) Apply(l *raft.Log) interface{} {
	var c command
	if err := json.Unmarshal(l.Data, &c); err != nil {
		return fmt.Errorf("entry %d is not a command: %v", l.Index, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastIndex = l.Index
	switch c.Op {
	case "set":
		f.data[c.Key] = c.Value
	case "delete":
		delete(f.data, c.Key)
	default:
		return fmt.Errorf("entry %d: unknown op %q", l.Index, c.Op)
	}
	return nil
}

type fsmImage struct {
	LastIndex uint64            `json:"last_index"`
	Data      map[string]string `json:"data"`
}

func (f *kvFSM) image() fsmImage {
	f.mu.Lock()
	defer f.mu.Unlock()
	data := make(map[string]string, len(f.data))
	for k, v := range f.data {
		data[k] = v
	}
	return fsmImage{LastIndex: f.lastIndex, Data: data}
}

func (f *kvFSM) get(key string) (string, bool, uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.data[key]
	return v, ok, f.lastIndex
}

func (f *kvFSM) Snapshot() (raft.FSMSnapshot, error) { return snapshotOf(f.image()), nil }

func (f *kvFSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	var img fsmImage
	if err := json.NewDecoder(rc).Decode(&img); err != nil {
		return err
	}
	if img.Data == nil {
		img.Data = map[string]string{}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.data, f.lastIndex = img.Data, img.LastIndex
	return nil
}

type snapshotOf fsmImage

func (s snapshotOf) Persist(sink raft.SnapshotSink) error {
	if err := json.NewEncoder(sink).Encode(fsmImage(s)); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s snapshotOf) Release() {}

// digest is a hash of the map's contents, the same on every node that applied the same entries.
func digest(data map[string]string) string {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%q=%q\n", k, data[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
