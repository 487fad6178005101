package testutil

import "testing"

// Every thins a sweep under go test -short: it returns a filter that keeps the
// first case and then one in every n, and logs what the full suite checks besides.
// Without -short (as CI runs the tests) it keeps every case.
func Every(t testing.TB, n int, full string) func(i int) bool {
	t.Helper()
	if !testing.Short() || n <= 1 {
		return func(int) bool { return true }
	}
	t.Logf("-short: one case in %d; the full suite checks %s", n, full)
	return func(i int) bool { return i%n == 0 }
}

// SkipShort skips the test under go test -short, saying what the full suite
// checks that the short run leaves out.
func SkipShort(t testing.TB, full string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the full suite checks " + full)
	}
}
