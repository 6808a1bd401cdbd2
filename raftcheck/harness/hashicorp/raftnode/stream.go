package main

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// cutStream is raft's TCP stream layer with links that the control server can cut, for
// clusters whose nodes all listen on one loopback address (where a packet filter cannot tell
// which node sent a packet). A dialling node first sends one line naming its own address, so the
// accepting node knows the peer of every connection. While the link to a peer is cut, dials to
// it fail, connections from it are closed as soon as they are accepted, and every established
// connection with it is closed when the cut is made.
type cutStream struct {
	ln        net.Listener
	advertise net.Addr
	logger    hclog.Logger

	mu    sync.Mutex
	cut   map[string]bool
	conns map[*peerConn]struct{}
}

const helloPrefix = "raftcheck-from "

func newCutStream(ln net.Listener, advertise net.Addr, logger hclog.Logger) *cutStream {
	return &cutStream{ln: ln, advertise: advertise, logger: logger,
		cut: map[string]bool{}, conns: map[*peerConn]struct{}{}}
}

func (s *cutStream) isCut(peer string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cut[peer]
}

func (s *cutStream) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	peer := string(address)
	if s.isCut(peer) {
		return nil, fmt.Errorf("raftcheck: link to %s is cut", peer)
	}
	c, err := net.DialTimeout("tcp", peer, timeout)
	if err != nil {
		return nil, err
	}
	if _, err := c.Write([]byte(helloPrefix + s.advertise.String() + "\n")); err != nil {
		c.Close()
		return nil, err
	}
	return s.track(c, peer)
}

func (s *cutStream) Accept() (net.Conn, error) {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return nil, err
		}
		peer, err := readHello(c)
		if err != nil {
			s.logger.Warn("dropping a connection without a hello line", "remote-address", c.RemoteAddr().String(), "error", err)
			c.Close()
			continue
		}
		if conn, err := s.track(c, peer); err == nil {
			return conn, nil
		}
	}
}

// readHello reads the dialler's one-line greeting byte by byte, so that nothing of the raft
// stream that follows it is consumed.
func readHello(c net.Conn) (string, error) {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	var line []byte
	buf := make([]byte, 1)
	for len(line) < 256 {
		if _, err := c.Read(buf); err != nil {
			return "", err
		}
		if buf[0] == '\n' {
			text := string(line)
			if !strings.HasPrefix(text, helloPrefix) {
				return "", fmt.Errorf("unexpected greeting %q", text)
			}
			return strings.TrimPrefix(text, helloPrefix), nil
		}
		line = append(line, buf[0])
	}
	return "", fmt.Errorf("greeting longer than 256 bytes")
}

// track registers a connection with peer, or closes it if the link is cut by now.
func (s *cutStream) track(c net.Conn, peer string) (net.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cut[peer] {
		c.Close()
		return nil, fmt.Errorf("raftcheck: link to %s is cut", peer)
	}
	pc := &peerConn{Conn: c, peer: peer, owner: s}
	s.conns[pc] = struct{}{}
	return pc, nil
}

// setCuts makes exactly the links to peers cut, and closes every connection with them.
func (s *cutStream) setCuts(peers []string) (closed int) {
	s.mu.Lock()
	s.cut = map[string]bool{}
	for _, p := range peers {
		s.cut[p] = true
	}
	var doomed []*peerConn
	for pc := range s.conns {
		if s.cut[pc.peer] {
			doomed = append(doomed, pc)
		}
	}
	s.mu.Unlock()
	for _, pc := range doomed {
		pc.Close()
	}
	return len(doomed)
}

func (s *cutStream) cutPeers() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.cut))
	for p := range s.cut {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func (s *cutStream) Close() error   { return s.ln.Close() }
func (s *cutStream) Addr() net.Addr { return s.advertise }

type peerConn struct {
	net.Conn
	peer  string
	owner *cutStream
	once  sync.Once
}

func (pc *peerConn) Close() error {
	pc.once.Do(func() {
		pc.owner.mu.Lock()
		delete(pc.owner.conns, pc)
		pc.owner.mu.Unlock()
	})
	return pc.Conn.Close()
}
