package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
)

// rawCodec sends and receives serialized messages as they are. Marshal takes
// the bytes of a request ([]byte or *[]byte); Unmarshal copies the response
// bytes into a *[]byte, reusing its capacity, because gRPC recycles the
// buffers it hands over once Unmarshal returns. Its name, "proto", is the
// content subtype the server sees, which is what the bytes are.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	switch msg := v.(type) {
	case *[]byte:
		return mem.BufferSlice{mem.SliceBuffer(*msg)}, nil
	case []byte:
		return mem.BufferSlice{mem.SliceBuffer(msg)}, nil
	}
	return nil, fmt.Errorf("rawCodec: cannot marshal %T, want []byte or *[]byte", v)
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	dst, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("rawCodec: cannot unmarshal into %T, want *[]byte", v)
	}
	out := (*dst)[:0]
	for _, buf := range data {
		out = append(out, buf.ReadOnlyData()...)
	}
	*dst = out
	return nil
}

// maxErrors is how many distinct error messages the report keeps.
const maxErrors = 3

// tally is what one worker saw during the measured window. Each worker owns
// one, so recording a call takes no lock; the tallies are merged at the end.
type tally struct {
	latencies []time.Duration
	statuses  map[codes.Code]int
	errors    []string // distinct messages, at most maxErrors
	anyOK     bool     // a call succeeded, warm-up included
	_         [64]byte // keeps neighbouring tallies off each other's cache lines
}

// loadRun holds what the workers of one run share.
type loadRun struct {
	cfg      config
	conns    [][]*grpc.ClientConn // per target
	callOpts []grpc.CallOption
	next     atomic.Uint64 // call counter: picks the request and the connection
	start    time.Time     // warm-up starts
	measured time.Time     // measured window starts
	end      time.Time     // measured window ends
}

// target is the index of the target whose turn it is at t: turns of
// cfg.slice, in -addr order, from the start of the warm-up.
func (l *loadRun) target(t time.Time) int {
	if len(l.conns) == 1 {
		return 0
	}
	return int(t.Sub(l.start)/l.cfg.slice) % len(l.conns)
}

// call makes one call to `target` with the next request on the next
// connection and stores the response bytes in resp.
func (l *loadRun) call(ctx context.Context, target int, resp *[]byte) error {
	n := l.next.Add(1) - 1
	req := &l.cfg.requests[n%uint64(len(l.cfg.requests))]
	conns := l.conns[target]
	conn := conns[n%uint64(len(conns))]
	ctx, cancel := context.WithTimeout(ctx, l.cfg.timeout)
	defer cancel()
	return conn.Invoke(ctx, l.cfg.method, req, resp, l.callOpts...)
}

// inWindow tells whether t falls in the measured window.
func (l *loadRun) inWindow(t time.Time) bool {
	return !t.Before(l.measured) && t.Before(l.end)
}

// record counts a call that ended at done in t, with its latency taken from
// `from`, when it ended inside the measured window.
func (l *loadRun) record(t *tally, from, done time.Time, err error) {
	code := status.Code(err)
	if code == codes.OK {
		t.anyOK = true
	}
	if !l.inWindow(done) {
		return
	}
	t.latencies = append(t.latencies, done.Sub(from))
	t.statuses[code]++
	if err != nil && len(t.errors) < maxErrors && !slices.Contains(t.errors, err.Error()) {
		t.errors = append(t.errors, err.Error())
	}
}

// closedLoop keeps one call in flight until ctx ends, to the target whose
// turn it is when the call starts (a call that ends in the next turn counts
// for its own target); latency is measured from each call's start.
func (l *loadRun) closedLoop(ctx context.Context, tallies []*tally) {
	var resp []byte
	for ctx.Err() == nil {
		start := time.Now()
		target := l.target(start)
		err := l.call(ctx, target, &resp)
		l.record(tallies[target], start, time.Now(), err)
	}
}

// openLoopWorker makes the calls the dispatcher schedules; latency is
// measured from the scheduled start. Each call holds a slot until it ends.
func (l *loadRun) openLoopWorker(ctx context.Context, t *tally, due <-chan time.Time, slots <-chan struct{}) {
	var resp []byte
	for at := range due {
		if ctx.Err() == nil {
			err := l.call(ctx, 0, &resp)
			l.record(t, at, time.Now(), err)
		}
		<-slots
	}
}

// dispatch schedules calls at cfg.rps per second from l.start until l.end.
// A call takes one of the cfg.concurrency slots; when none is free it is
// late: handed out as soon as a slot frees up, keeping its scheduled time,
// and counted when that happens in the measured window (by then an
// overloaded run's schedule may lag far behind). Returns the late count.
func (l *loadRun) dispatch(ctx context.Context, due chan<- time.Time, slots chan<- struct{}) int {
	defer close(due)
	late := 0
	perCall := float64(time.Second) / l.cfg.rps
	for i := 0; ; i++ {
		at := l.start.Add(time.Duration(float64(i) * perCall))
		if !at.Before(l.end) || !preciseSleepUntil(ctx, at) {
			return late
		}
		select {
		case slots <- struct{}{}:
		default:
			if l.inWindow(time.Now()) {
				late++
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return late
			}
		}
		due <- at // never blocks: it holds at most one entry per slot
	}
}

// preciseSleepUntil sleeps until at, or returns false when ctx ends first.
// It sleeps in the kernel (nanosleep, ~50 µs timer slack) rather than on a Go
// timer, whose wake-up on an idle process can be a millisecond late, which an
// open-loop run would add to every latency.
func preciseSleepUntil(ctx context.Context, at time.Time) bool {
	for {
		if ctx.Err() != nil {
			return false
		}
		wait := time.Until(at)
		if wait <= 0 {
			return true
		}
		ts := syscall.NsecToTimespec(int64(min(wait, 50*time.Millisecond)))
		_ = syscall.Nanosleep(&ts, nil) // EINTR: the loop sleeps the rest
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() (user, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// clockTicks is the unit of the CPU times in /proc/<pid>/stat (USER_HZ, 100 on Linux).
const clockTicks = 100

// processCPU is the user plus system CPU time of process `pid` so far, all its
// threads (those that have ended too), from /proc/<pid>/stat.
func processCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name (in parentheses, which may hold spaces): state is field 3,
	// utime 14 and stime 15.
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	fields := strings.Fields(string(data[end+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields after the command name", pid, len(fields))
	}
	var ticks int64
	for _, field := range fields[11:13] {
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// windowSize is the HTTP/2 receive window of each stream and connection.
const windowSize = 1 << 24

// generateLoad runs the warm-up and the measured window and reports the
// measured window, one report per target.
func generateLoad(cfg config) ([]*report, error) {
	// One thread avoids the cross-thread wake-ups (futex) of idle processors
	// hunting for work: measured on 2 cores, 20-30 % less CPU per call at 1
	// to 32 calls in flight than GOMAXPROCS=2.
	runtime.GOMAXPROCS(cfg.procs)
	l := &loadRun{cfg: cfg, callOpts: []grpc.CallOption{grpc.ForceCodecV2(rawCodec{})}}
	for _, addr := range cfg.addrs {
		conns, err := dial(addr, cfg.conns)
		for _, conn := range conns {
			defer conn.Close()
		}
		if err != nil {
			return nil, err
		}
		l.conns = append(l.conns, conns)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l.start = time.Now()
	l.measured = l.start.Add(cfg.warmup)
	l.end = l.measured.Add(cfg.duration)

	targets := len(cfg.addrs)
	tallies := make([][]*tally, cfg.concurrency) // per worker, per target
	var workers sync.WaitGroup
	late := 0
	var due chan time.Time
	var slots chan struct{}
	if cfg.rps > 0 {
		due = make(chan time.Time, cfg.concurrency)
		slots = make(chan struct{}, cfg.concurrency)
		workers.Go(func() { late = l.dispatch(ctx, due, slots) })
	}
	for i := range tallies {
		tallies[i] = make([]*tally, targets)
		for k := range targets {
			tallies[i][k] = &tally{statuses: map[codes.Code]int{}}
		}
		ts := tallies[i]
		if cfg.rps > 0 {
			workers.Go(func() { l.openLoopWorker(ctx, ts[0], due, slots) })
		} else {
			workers.Go(func() { l.closedLoop(ctx, ts) })
		}
	}

	time.Sleep(time.Until(l.measured))
	user0, sys0 := cpuTime()
	server0, serverErr := serverCPU(cfg.serverPids)
	time.Sleep(time.Until(l.end))
	user1, sys1 := cpuTime()
	server1, serverErr1 := serverCPU(cfg.serverPids)
	cancel() // calls still in flight end now, after the window: not counted
	workers.Wait()
	if serverErr == nil {
		serverErr = serverErr1
	}
	if serverErr != nil {
		return nil, fmt.Errorf("server CPU time: %w", serverErr)
	}

	// Each target had the same share of the window: -d is a whole number of rounds of turns.
	share := cfg.duration / time.Duration(targets)
	reps := make([]*report, targets)
	for k := range targets {
		mine := make([]*tally, len(tallies))
		for i := range tallies {
			mine[i] = tallies[i][k]
		}
		rep := summarize(mine, share)
		rep.Addr = cfg.addrs[k]
		rep.Late = late
		// The load generator's own CPU time is the whole window's, in every target's report.
		rep.CPUUserS = round(float64(user1-user0)/float64(time.Second), 3)
		rep.CPUSysS = round(float64(sys1-sys0)/float64(time.Second), 3)
		if len(cfg.serverPids) > 0 {
			serverS := round(float64(server1[k]-server0[k])/float64(time.Second), 3)
			rep.ServerCPUS = &serverS
		}
		reps[k] = rep
	}
	return reps, nil
}

// serverCPU is the CPU time so far of each process in pids.
func serverCPU(pids []int) ([]time.Duration, error) {
	out := make([]time.Duration, len(pids))
	for i, pid := range pids {
		var err error
		if out[i], err = processCPU(pid); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// dial opens n HTTP/2 connections to addr (each call picks one round-robin).
func dial(addr string, n int) ([]*grpc.ClientConn, error) {
	var conns []*grpc.ClientConn
	for range n {
		conn, err := grpc.NewClient(addr,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			// Fixed receive windows (the largest HTTP/2 allows for the connection)
			// turn off grpc-go's bandwidth-delay probing, a PING per burst of
			// received data that costs each call an extra write and wake-up.
			grpc.WithInitialWindowSize(windowSize),
			grpc.WithInitialConnWindowSize(windowSize),
		)
		if err != nil {
			return conns, err
		}
		conn.Connect()
		conns = append(conns, conn)
	}
	return conns, nil
}

// report is the JSON object loadgen prints. Latencies cover every call that
// ended in the measured window, failed ones included; LatencyMs is null when
// there were none.
type report struct {
	Addr      string         `json:"addr"`
	QPS       float64        `json:"qps"`
	Requests  int            `json:"requests"`
	OK        int            `json:"ok"`
	Statuses  map[string]int `json:"statuses"`
	Errors    []string       `json:"errors"`
	LatencyMs *latencyMs     `json:"latencyMs"`
	Late      int            `json:"late"`
	DurationS float64        `json:"durationS"`
	CPUUserS  float64        `json:"cpuUserS"`
	CPUSysS   float64        `json:"cpuSysS"`
	// ServerCPUS is the server's CPU time in the window (with -server-pid), else absent.
	ServerCPUS *float64 `json:"serverCpuS,omitempty"`
	anyOK      bool
}

type latencyMs struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// summarize merges the workers' tallies into the report.
func summarize(tallies []*tally, window time.Duration) *report {
	rep := &report{Statuses: map[string]int{}, Errors: []string{}, DurationS: window.Seconds()}
	var all []time.Duration
	for _, t := range tallies {
		all = append(all, t.latencies...)
		rep.anyOK = rep.anyOK || t.anyOK
		for code, n := range t.statuses {
			rep.Statuses[codeName(code)] += n
		}
		for _, msg := range t.errors {
			if len(rep.Errors) < maxErrors && !slices.Contains(rep.Errors, msg) {
				rep.Errors = append(rep.Errors, msg)
			}
		}
	}
	rep.Requests = len(all)
	rep.OK = rep.Statuses[codeName(codes.OK)]
	rep.QPS = round(float64(rep.Requests)/window.Seconds(), 1)
	if len(all) == 0 {
		return rep
	}
	slices.Sort(all)
	// The nearest-rank percentile: the smallest latency at or above p of the calls.
	at := func(p float64) float64 {
		i := max(int(math.Ceil(p*float64(len(all))))-1, 0)
		return ms(all[i])
	}
	var sum time.Duration
	for _, d := range all {
		sum += d
	}
	rep.LatencyMs = &latencyMs{
		P50: at(0.5), P90: at(0.9), P99: at(0.99), P999: at(0.999),
		Max:  ms(all[len(all)-1]),
		Mean: ms(sum / time.Duration(len(all))),
	}
	return rep
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

func round(x float64, decimals int) float64 {
	scale := math.Pow(10, float64(decimals))
	return math.Round(x*scale) / scale
}

// codeNames are the gRPC status codes by number, spelt as in the gRPC
// specification (grpc-go's own String() says "Unavailable", not "UNAVAILABLE").
var codeNames = [...]string{
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
	"UNAUTHENTICATED",
}

func codeName(code codes.Code) string {
	if int(code) < len(codeNames) {
		return codeNames[code]
	}
	return fmt.Sprintf("CODE_%d", code)
}
