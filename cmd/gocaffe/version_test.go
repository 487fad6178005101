package main

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/testutil"
)

// TestVersion: gocaffe version and gocaffe --version print the same: the version and
// commit stamped in at link time (or what the Go tool recorded), the Go version, the
// numerics, the matrix product and its kernel, and the threads.
func TestVersion(t *testing.T) {
	defer func(v, c string) { version, commit = v, c }(version, commit)
	for _, tt := range []struct {
		version, commit string
		want            []string
	}{
		{"v1.2.3-4-gabcdef1", "abcdef1234567890abcdef1234567890abcdef12", []string{
			"gocaffe v1.2.3-4-gabcdef1\n", "commit: abcdef1234567890abcdef1234567890abcdef12\n"}},
		{"", "", []string{"gocaffe ", "commit: "}},
	} {
		version, commit = tt.version, tt.commit
		code, out := runCapture(t, "version")
		_, flag := runCapture(t, "--version")
		if code != 0 || out != flag {
			t.Errorf("version (exit %d):\n%s\n--version:\n%s", code, out, flag)
		}
		want := append(tt.want, "Go: "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH+"\n",
			"numerics: fast (the default", "GEMM: fast, kernel ", "threads: ", "Caffe file formats: ")
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("version output lacks %q:\n%s", w, out)
			}
		}
	}
	_, out := runCapture(t, "--threads=1", "--version")
	if !strings.Contains(out, "threads: 1 (--threads) of ") {
		t.Errorf("--threads=1 --version:\n%s", out)
	}
}

// TestStaticRelease builds this platform's release binary with scripts/release.sh,
// as `make release` does for four: statically linked (no interpreter, no shared
// libraries: no cgo), its --version naming the version and commit stamped in, its
// SHA-256 in SHA256SUMS.
func TestStaticRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gocaffe")
	}
	if runtime.GOOS != "linux" {
		t.Skip("checks an ELF binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	dist := t.TempDir()
	const commitHash = "0123456789abcdef0123456789abcdef01234567"
	cmd := exec.Command("scripts/release.sh")
	cmd.Dir = testutil.Root()
	cmd.Env = append(os.Environ(), "GO="+goTool, "DIST="+dist, "VERSION=v0.0.0-test", "COMMIT="+commitHash,
		"PLATFORMS="+runtime.GOOS+"/"+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("release.sh: %v\n%s", err, out)
	}
	bin := filepath.Join(dist, "gocaffe-v0.0.0-test-"+runtime.GOOS+"-"+runtime.GOARCH)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s has a %v program header: not static", bin, p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s needs %v", bin, libs)
	}
	f.Close()
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^gocaffe v0\.0\.0-test\ncommit: ` + commitHash + `\n`).Match(out) {
		t.Errorf("--version:\n%s", out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(sum[:]) + "  " + filepath.Base(bin) + "\n"; string(sums) != want {
		t.Errorf("SHA256SUMS:\n%s\nwant\n%s", sums, want)
	}
}
