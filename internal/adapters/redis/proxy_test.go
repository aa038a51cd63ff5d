package redis

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// freezeProxy forwards TCP connections to a Redis server and can make the
// subscriber connections go silent without closing them, as a dead peer or
// a dropped NAT entry does.
type freezeProxy struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	conns  []*proxiedConn
	wg     sync.WaitGroup
}

type proxiedConn struct {
	client, server net.Conn
	subscriber     atomic.Bool // it sent SUBSCRIBE
	frozen         atomic.Bool // nothing passes either way
}

func newFreezeProxy(t *testing.T, target string) *freezeProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &freezeProxy{l: l, target: target}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		_ = l.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			_ = c.client.Close()
			_ = c.server.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *freezeProxy) Addr() string { return p.l.Addr().String() }

func (p *freezeProxy) accept() {
	for {
		client, err := p.l.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		c := &proxiedConn{client: client, server: server}
		p.mu.Lock()
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		p.wg.Go(func() { c.pipe(client, server, true) })
		p.wg.Go(func() { c.pipe(server, client, false) })
	}
}

func (c *proxiedConn) pipe(from, to net.Conn, fromClient bool) {
	defer func() { _ = c.client.Close(); _ = c.server.Close() }()
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

// freezeSubscribers silences every connection that has subscribed so far.
func (p *freezeProxy) freezeSubscribers() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		if c.subscriber.Load() {
			c.frozen.Store(true)
		}
	}
}
