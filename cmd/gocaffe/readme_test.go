package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/gocaffe/gocaffe/internal/testutil"
)

// TestReadmeMakeTargets: every `make X` the README tells a user to run is a target of
// the Makefile (proto, bench and lint once went missing while the README kept them).
func TestReadmeMakeTargets(t *testing.T) {
	root := testutil.Root()
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z0-9-]+):`).FindAllSubmatch(makefile, -1) {
		targets[string(m[1])] = true
	}
	named := regexp.MustCompile("`make ([a-z0-9-]+)`|\n\\s*make ([a-z0-9-]+)").FindAllSubmatch(readme, -1)
	if len(named) == 0 {
		t.Fatal("the README names no make target; its two commands should be make targets")
	}
	for _, m := range named {
		name := string(m[1]) + string(m[2])
		if !targets[name] {
			t.Errorf("README.md says `make %s`, but the Makefile has no target %q", name, name)
		}
	}
}
