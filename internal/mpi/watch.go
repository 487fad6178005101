package mpi

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Watch tells every rank of a run when another rank is gone, naming it, so that no
// rank waits for ever for one that will not answer.
//
// MPI itself cannot: Open MPI's shared-memory transport never notices a peer that
// died, and its TCP transport turns the loss into an abort of the whole job that
// says nothing of it to the survivors. mpirun notices a process that exits and ends
// the job, but a process that hangs, a host that is cut off, or the reason a rank
// failed, it does not report to the others. So every rank keeps one TCP connection
// to rank 0 beside MPI: a process that dies has its connection closed by its
// kernel, at once; a rank that fails sends why before it exits; and both sides send
// a heartbeat every few seconds, so that a rank from which nothing has come for the
// timeout (stopped, hung, or its host cut off) is reported too. Rank 0 tells the
// others which rank is gone and why, and every rank's Group then fails with that.
//
// The connections carry lines of text: "beat", "bye" (a rank that ends well),
// "fail TEXT" (a rank that failed, to rank 0) and "down RANK TEXT" (rank 0 to the
// others).
type Watch struct {
	g       *Group
	timeout time.Duration
	onDown  func(error)

	mu       sync.Mutex
	conns    map[int]*watchConn // rank 0: the other ranks'; other ranks: {0: rank 0's}
	finished bool
	reported bool
	quit     chan struct{}
	stopOnce sync.Once
}

type watchConn struct {
	rank int
	c    net.Conn
	wmu  sync.Mutex
	bye  bool // the peer said goodbye (guarded by Watch.mu)
}

func (c *watchConn) send(line string, timeout time.Duration) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.c.SetWriteDeadline(time.Now().Add(timeout))
	_, err := c.c.Write([]byte(line + "\n"))
	return err
}

// DownError says that a rank is gone: it died, failed with an error, or has not been
// heard from for the timeout.
type DownError struct {
	Rank   int
	Reason string
}

// Error says which rank is gone and why.
func (e *DownError) Error() string { return fmt.Sprintf("rank %d %s", e.Rank, e.Reason) }

// StartWatch connects every rank of g to rank 0 (a collective call). onDown is called
// once, on a goroutine of the watch, when a rank is reported gone, after g has been
// made to fail with the same error; timeout is how long a rank may stay silent. A
// rank that cannot reach rank 0 (the connections try every address of rank 0's
// host) is logged through warn and runs unwatched: mpirun still ends the job if it
// dies.
func StartWatch(g *Group, timeout time.Duration, onDown func(error), warn func(string)) (*Watch, error) {
	w := &Watch{g: g, timeout: timeout, onDown: onDown, conns: map[int]*watchConn{}, quit: make(chan struct{})}
	if g.Size() == 1 {
		return w, nil
	}
	var hello []byte
	var ln net.Listener
	accepted := make(chan struct{})
	if g.Rank() == 0 {
		var err error
		if ln, err = net.Listen("tcp", ":0"); err != nil {
			return nil, fmt.Errorf("watch: %w", err)
		}
		defer ln.Close()
		token := make([]byte, 16)
		rand.Read(token)
		hello = []byte(hex.EncodeToString(token) + " " + strings.Join(listenAddrs(ln.Addr().(*net.TCPAddr).Port), " "))
		go w.accept(ln, string(hello[:32]), accepted)
	}
	hello, err := g.BroadcastBytes(hello)
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	status := ""
	if g.Rank() != 0 {
		f := strings.Fields(string(hello))
		if len(f) < 2 {
			return nil, fmt.Errorf("watch: rank 0 sent %q", hello)
		}
		c, err := dialHub(f[0], g.Rank(), f[1:])
		if err != nil {
			status = err.Error()
		} else {
			w.conns[0] = &watchConn{rank: 0, c: c}
		}
	}
	all, err := g.GatherBytes([]byte(status))
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	if g.Rank() == 0 {
		ln.Close()
		<-accepted
		for r, s := range all {
			if len(s) > 0 && warn != nil {
				warn(fmt.Sprintf("rank %d cannot reach rank 0 to be watched (%s): if it dies, mpirun alone will end the job", r, s))
			}
		}
	}
	w.mu.Lock()
	for _, c := range w.conns {
		go w.read(c)
	}
	w.mu.Unlock()
	go w.beat()
	return w, nil
}

// listenAddrs lists the addresses of this host's interfaces with the port: IPv4
// first, then IPv6, loopback last.
func listenAddrs(port int) []string {
	var v4, v6, lo []string
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLinkLocalUnicast() || ipn.IP.IsMulticast() {
			continue
		}
		hp := net.JoinHostPort(ipn.IP.String(), strconv.Itoa(port))
		switch {
		case ipn.IP.IsLoopback():
			lo = append(lo, hp)
		case ipn.IP.To4() != nil:
			v4 = append(v4, hp)
		default:
			v6 = append(v6, hp)
		}
	}
	sort.Strings(lo) // 127.0.0.1 before ::1
	return append(append(v4, v6...), lo...)
}

// accept takes the connections of the other ranks until ln is closed.
func (w *Watch) accept(ln net.Listener, token string, done chan struct{}) {
	defer close(done)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			line, err := readLine(c)
			f := strings.Fields(line)
			var rank int
			if err == nil && len(f) == 3 && f[0] == "hello" && f[1] == token {
				rank, err = strconv.Atoi(f[2])
			} else if err == nil {
				err = errors.New("not a gocaffe rank")
			}
			if err != nil || rank <= 0 || rank >= w.g.Size() {
				c.Close()
				return
			}
			if _, err := c.Write([]byte("ok\n")); err != nil {
				c.Close()
				return
			}
			c.SetDeadline(time.Time{})
			w.mu.Lock()
			w.conns[rank] = &watchConn{rank: rank, c: c}
			w.mu.Unlock()
		}()
	}
}

// dialHub connects to rank 0 at the first of addrs that answers with the token.
func dialHub(token string, rank int, addrs []string) (net.Conn, error) {
	var errs []string
	for _, a := range addrs {
		c, err := net.DialTimeout("tcp", a, 3*time.Second)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err = fmt.Fprintf(c, "hello %s %d\n", token, rank); err == nil {
			var line string
			// One byte at a time: what follows "ok" belongs to the watch's reader.
			line, err = readLine(c)
			if err == nil && line != "ok" {
				err = fmt.Errorf("%s answered %q", a, line)
			}
		}
		if err != nil {
			c.Close()
			errs = append(errs, err.Error())
			continue
		}
		c.SetDeadline(time.Time{})
		return c, nil
	}
	return nil, fmt.Errorf("tried %s: %s", strings.Join(addrs, ", "), strings.Join(errs, "; "))
}

func readLine(c net.Conn) (string, error) {
	var b []byte
	one := make([]byte, 1)
	for len(b) < 64 {
		if _, err := c.Read(one); err != nil {
			return "", err
		}
		if one[0] == '\n' {
			return string(b), nil
		}
		b = append(b, one[0])
	}
	return "", errors.New("line too long")
}

// interval is how often a heartbeat goes out.
func (w *Watch) interval() time.Duration {
	return min(w.timeout/4, 2*time.Second)
}

// beat sends the heartbeats until the watch ends.
func (w *Watch) beat() {
	t := time.NewTicker(w.interval())
	defer t.Stop()
	for {
		select {
		case <-w.quit:
			return
		case <-t.C:
		}
		w.mu.Lock()
		conns := w.live()
		w.mu.Unlock()
		for _, c := range conns {
			c.send("beat", w.timeout)
		}
	}
}

// live returns the connections of the ranks still running (w.mu held).
func (w *Watch) live() []*watchConn {
	var out []*watchConn
	for _, c := range w.conns {
		if !c.bye {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rank < out[j].rank })
	return out
}

// read follows one peer's lines until it says goodbye or is gone.
func (w *Watch) read(c *watchConn) {
	r := bufio.NewReader(c.c)
	for {
		c.c.SetReadDeadline(time.Now().Add(w.timeout))
		line, err := r.ReadString('\n')
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && r.Buffered() == 0 {
				// This process may itself have been stopped: look once more
				// before blaming the peer.
				c.c.SetReadDeadline(time.Now().Add(w.interval()))
				more, err2 := r.ReadString('\n')
				if err2 == nil {
					line, err = more, nil
				}
			}
		}
		w.mu.Lock()
		ended := w.finished || c.bye
		w.mu.Unlock()
		if ended {
			return
		}
		if err != nil {
			var ne net.Error
			reason := "died: its connection to the watch closed without a goodbye (killed, crashed, or its host went down)"
			if errors.As(err, &ne) && ne.Timeout() {
				reason = fmt.Sprintf("has sent nothing for %v: it is stopped or hung, or its host is cut off", w.timeout)
			}
			w.down(c.rank, reason)
			return
		}
		f := strings.SplitN(strings.TrimSpace(line), " ", 2)
		switch f[0] {
		case "beat":
		case "bye":
			w.mu.Lock()
			c.bye = true
			w.mu.Unlock()
			return
		case "fail":
			w.down(c.rank, "failed: "+strings.Join(f[1:], " "))
			return
		case "down":
			g := strings.SplitN(strings.Join(f[1:], " "), " ", 2)
			rank, _ := strconv.Atoi(g[0])
			reason := "is gone"
			if len(g) > 1 {
				reason = g[1]
			}
			w.report(&DownError{Rank: rank, Reason: reason})
			return
		}
	}
}

// down handles the loss of rank: rank 0 tells the others, then every rank fails.
func (w *Watch) down(rank int, reason string) {
	err := &DownError{Rank: rank, Reason: reason}
	if w.g.Rank() == 0 {
		w.mu.Lock()
		if w.reported {
			w.mu.Unlock()
			return
		}
		conns := w.live()
		w.mu.Unlock()
		for _, c := range conns {
			if c.rank != rank {
				c.send("down "+strconv.Itoa(rank)+" "+oneLine(reason), time.Second)
			}
		}
	}
	w.report(err)
}

func (w *Watch) report(err error) {
	w.mu.Lock()
	if w.reported || w.finished {
		w.mu.Unlock()
		return
	}
	w.reported = true
	w.mu.Unlock()
	w.g.Fail(err)
	if w.onDown != nil {
		w.onDown(err)
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Failed tells the other ranks that this one stops with err, before it exits (also
// when the error is another rank's loss: a rank that was itself stopped meanwhile
// then learns why this one left).
func (w *Watch) Failed(err error) {
	line := "fail " + oneLine(err.Error())
	if w.g.Rank() == 0 {
		line = "down 0 failed: " + oneLine(err.Error())
	}
	w.end(line)
}

// Finish ends the watch of a run that ended well: every rank must have finished its
// part (after the last collective call), so that no goodbye is taken for a death.
func (w *Watch) Finish() { w.end("bye") }

// end ends the watch once, telling the ranks still running line first.
func (w *Watch) end(line string) {
	w.mu.Lock()
	if w.finished {
		w.mu.Unlock()
		return
	}
	w.finished = true
	conns := w.live()
	w.mu.Unlock()
	for _, c := range conns {
		c.send(line, time.Second)
	}
	w.close()
}

// stopBeats ends the heartbeats.
func (w *Watch) stopBeats() { w.stopOnce.Do(func() { close(w.quit) }) }

func (w *Watch) close() {
	w.stopBeats()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.conns {
		c.c.Close()
	}
}
