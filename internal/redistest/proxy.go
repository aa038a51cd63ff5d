package redistest

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards TCP connections to a Redis server. A test puts it between
// some clients and the server to break their connections in ways Stop and
// Restart cannot: it can keep chosen clients away from a restarted server
// (Refuse) while other clients use it, and make subscriber connections go
// silent without closing them (FreezeSubscribers).
type Proxy struct {
	l       net.Listener
	target  string
	refuse  atomic.Bool
	mu      sync.Mutex
	conns   []*proxiedConn
	wg      sync.WaitGroup
	stopped bool
}

type proxiedConn struct {
	client, server net.Conn
	subscriber     atomic.Bool // it sent SUBSCRIBE
	frozen         atomic.Bool // nothing passes either way
}

// NewProxy starts a proxy to target (host:port) on a free loopback port and
// closes it, with every connection it made, when tb ends.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{l: l, target: target}
	p.wg.Go(p.accept)
	tb.Cleanup(p.close)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.l.Addr().String() }

// URL is the proxy's redis:// URL.
func (p *Proxy) URL() string { return "redis://" + p.Addr() }

// Refuse makes the proxy close every connection it has and every new one
// at once (on) until Refuse(false): to its clients the server is down,
// whatever the server's state.
func (p *Proxy) Refuse(on bool) {
	p.refuse.Store(on)
	if !on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.closeBoth()
	}
	p.conns = nil
}

// FreezeSubscribers silences every connection that has subscribed so far:
// nothing passes either way, and nothing is closed, as with a dead peer or
// a dropped NAT entry.
func (p *Proxy) FreezeSubscribers() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		if c.subscriber.Load() {
			c.frozen.Store(true)
		}
	}
}

func (p *Proxy) close() {
	_ = p.l.Close()
	p.mu.Lock()
	p.stopped = true
	for _, c := range p.conns {
		c.closeBoth()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	for {
		client, err := p.l.Accept()
		if err != nil {
			return
		}
		if p.refuse.Load() {
			_ = client.Close()
			continue
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		c := &proxiedConn{client: client, server: server}
		p.mu.Lock()
		if p.stopped || p.refuse.Load() {
			p.mu.Unlock()
			c.closeBoth()
			continue
		}
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		p.wg.Go(func() { c.pipe(client, server, true) })
		p.wg.Go(func() { c.pipe(server, client, false) })
	}
}

func (c *proxiedConn) closeBoth() {
	_ = c.client.Close()
	_ = c.server.Close()
}

func (c *proxiedConn) pipe(from, to net.Conn, fromClient bool) {
	defer c.closeBoth()
	buf := make([]byte, 32<<10)
	for {
		n, err := from.Read(buf)
		if n > 0 {
			if fromClient && bytes.Contains(bytes.ToLower(buf[:n]), []byte("subscribe")) {
				c.subscriber.Store(true)
			}
			if !c.frozen.Load() {
				if _, werr := to.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}
