package blob

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The memory limit: no blob, and no buffer made with Floats, is allocated when it
// would take the memory gocaffe holds beyond it. Without it, a net too large for the
// machine (num_output: 2000000000, a dimension of 2^32) ends in the Go runtime's
// "fatal error: out of memory", which no program can catch; with it, the net refuses
// to build and says which layers are the largest.

// checkFrom is the smallest allocation that is checked against the limit: smaller
// ones cannot matter, and checking costs a read of the runtime's statistics.
const checkFrom = 1 << 20

var (
	limitMu     sync.Mutex
	limitBytes  int64  // 0: not known yet
	limitSource string // where the limit comes from, for messages
	userLimit   bool   // set by SetMemoryLimit
)

// SetMemoryLimit sets the most memory, in bytes, that gocaffe may hold (the
// --max_memory flag). n ≤ 0 restores the default: the memory the system has
// available (see MemoryLimit).
func SetMemoryLimit(n int64) {
	limitMu.Lock()
	defer limitMu.Unlock()
	if n <= 0 {
		limitBytes, limitSource, userLimit = 0, "", false
		return
	}
	limitBytes, limitSource, userLimit = n, "--max_memory", true
}

// MemoryLimit returns the limit in force and where it comes from: --max_memory, or
// by default the memory available when it was first needed — what the kernel says a
// new program could take without swapping (MemAvailable), within the control group's
// limit (a container's) and GOMEMLIMIT — plus what gocaffe already held then.
func MemoryLimit() (bytes int64, source string) {
	limitMu.Lock()
	defer limitMu.Unlock()
	if limitBytes == 0 {
		limitBytes, limitSource = systemLimit()
	}
	return limitBytes, limitSource
}

// systemLimit works out the default limit.
func systemLimit() (int64, string) {
	inUse := heapInUse()
	limit, source := int64(math.MaxInt64), "no limit known"
	if avail, ok := meminfo("MemAvailable"); ok {
		limit, source = avail+inUse, fmt.Sprintf("the memory available (MemAvailable %s)", Bytes(avail))
	}
	if max, cur, ok := cgroupMemory(); ok && max-cur+inUse < limit {
		limit, source = max-cur+inUse, fmt.Sprintf("the control group's memory limit (%s, %s in use)", Bytes(max), Bytes(cur))
	}
	if gl := debug.SetMemoryLimit(-1); gl < limit {
		limit, source = gl, "GOMEMLIMIT"
	}
	return limit, source
}

// meminfo reads a field of /proc/meminfo, in bytes.
func meminfo(field string) (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		name, rest, ok := strings.Cut(s.Text(), ":")
		if !ok || name != field {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return 0, false
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, false
		}
		if len(fields) > 1 && fields[1] == "kB" {
			n *= 1024
		}
		return n, true
	}
	return 0, false
}

// cgroupMemory reads the limit and usage of the process's control group (v2, or v1).
func cgroupMemory() (max, cur int64, ok bool) {
	read := func(path string) (int64, bool) {
		b, err := os.ReadFile(path)
		if err != nil {
			return 0, false
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		return n, err == nil
	}
	for _, p := range [][2]string{
		{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
		{"/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"},
	} {
		m, ok1 := read(p[0]) // "max" does not parse: no limit
		c, ok2 := read(p[1])
		if ok1 && ok2 && m > 0 && m < 1<<60 {
			return m, c, true
		}
	}
	return 0, 0, false
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
var heapMu sync.Mutex

// heapInUse is the memory the Go heap's objects hold, dead ones not yet swept
// included.
func heapInUse() int64 {
	heapMu.Lock()
	defer heapMu.Unlock()
	metrics.Read(heapSample)
	if heapSample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(heapSample[0].Value.Uint64())
}

// AllocError is an allocation the memory limit refuses. Reshape and Floats panic
// with it (the net turns it into an error, see Recover); CheckAlloc returns it.
type AllocError struct {
	Bytes  int64  // the allocation asked for
	InUse  int64  // what gocaffe held
	Limit  int64  // the limit
	Source string // where the limit comes from
	Shape  []int  // the blob's shape, if it is one
}

func (e *AllocError) Error() string {
	what := "a buffer"
	if e.Shape != nil {
		what = "a blob of shape " + ShapeString(e.Shape)
	}
	source := e.Source
	if source != "--max_memory" {
		source += "; --max_memory sets another limit"
	}
	return fmt.Sprintf("%s needs %s, but gocaffe holds %s already and may hold at most %s (%s)",
		what, Bytes(e.Bytes), Bytes(e.InUse), Bytes(e.Limit), source)
}

// CheckAlloc returns an *AllocError when allocating n more bytes would take the
// memory gocaffe holds beyond the limit, and nil otherwise (always for small n).
func CheckAlloc(n int64) error {
	if n < checkFrom || shapesOnly() {
		return nil
	}
	limit, source := MemoryLimit()
	if limit == math.MaxInt64 {
		return nil
	}
	inUse := heapInUse()
	if inUse+n > limit {
		// Garbage counts as in use until it is collected: collect, then look again.
		runtime.GC()
		inUse = heapInUse()
	}
	if n > limit-inUse {
		return &AllocError{Bytes: n, InUse: inUse, Limit: limit, Source: source}
	}
	return nil
}

// mustAlloc panics with an *AllocError if n bytes for a blob of the given shape are
// beyond the limit.
func mustAlloc(n int64, shape []int) {
	if n < checkFrom {
		return
	}
	if err := CheckAlloc(n); err != nil {
		ae := err.(*AllocError)
		ae.Shape = append([]int(nil), shape...)
		panic(ae)
	}
}

// Floats returns n zeroed values, for a layer's buffers that scale with its blobs
// (column buffers, masks). Beyond the memory limit it panics with an *AllocError,
// before allocating, as Reshape does; while ShapesOnly runs it returns nil.
func Floats(n int) []float32 {
	if shapesOnly() {
		return nil
	}
	checkBuffer(n, 4)
	return make([]float32, n)
}

// checkBuffer panics, as Reshape does, when a buffer of n values of size bytes is
// larger than a blob could be or passes the memory limit.
func checkBuffer(n, size int) {
	if n < 0 || n > MaxCount {
		panic(&ShapeError{Shape: []int64{int64(n)}, Msg: fmt.Sprintf("a buffer of more values than a blob can hold (%d, Caffe's limit)", MaxCount)})
	}
	if err := CheckAlloc(int64(n) * int64(size)); err != nil {
		panic(err)
	}
}

// Grow returns s with n values: s resliced when its capacity allows, otherwise new
// zeroed storage, checked as Floats checks it. While ShapesOnly runs it returns
// s[:0]. It is how a layer sizes a buffer in Reshape (values, argmax indices).
func Grow[T any](s []T, n int) []T {
	if shapesOnly() {
		return s[:0]
	}
	if n <= cap(s) {
		return s[:n]
	}
	var zero T
	checkBuffer(n, int(unsafe.Sizeof(zero)))
	return make([]T, n)
}

// Bytes formats a number of bytes for people: "1.5 GB", "512 kB".
func Bytes(n int64) string {
	switch f := float64(n); {
	case n >= 1<<30:
		return strconv.FormatFloat(f/(1<<30), 'f', 1, 64) + " GB"
	case n >= 1<<20:
		return strconv.FormatFloat(f/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatFloat(f/(1<<10), 'f', 1, 64) + " kB"
	}
	return strconv.FormatInt(n, 10) + " B"
}

// shapesOnlyDepth is above zero while ShapesOnly runs.
var (
	shapesOnlyDepth atomic.Int32
	shapesOnlyMu    sync.Mutex
)

func shapesOnly() bool { return shapesOnlyDepth.Load() > 0 }

// ShapesOnly runs f with blob storage turned off, for the whole process: blobs take
// shapes and counts but no Data or Diff, and Floats returns nil. It is for a command
// that only looks at shapes (gocaffe summary), so that a net of any size can be
// described without the memory it would need. Nothing else may compute with blobs
// while it runs; calls are serialised.
func ShapesOnly(f func() error) error {
	shapesOnlyMu.Lock()
	defer shapesOnlyMu.Unlock()
	shapesOnlyDepth.Add(1)
	defer shapesOnlyDepth.Add(-1)
	return f()
}
