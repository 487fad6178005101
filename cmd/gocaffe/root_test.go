package main

import (
	"reflect"
	"testing"
)

func TestNormalizeArgs(t *testing.T) {
	tests := []struct {
		in, want []string
	}{
		{[]string{"train", "-solver", "s.prototxt"}, []string{"train", "--solver", "s.prototxt"}},
		{[]string{"test", "-weights=a.caffemodel,b.caffemodel"}, []string{"test", "--weights=a.caffemodel,b.caffemodel"}},
		{[]string{"train", "--solver=s.prototxt", "-h"}, []string{"train", "--solver=s.prototxt", "-h"}},
		{[]string{"summary", "--shape", "data=-1,3"}, []string{"summary", "--shape", "data=-1,3"}},
		{[]string{"time", "-iterations", "-5"}, []string{"time", "--iterations", "-5"}},
		{[]string{"x", "--", "-solver"}, []string{"x", "--", "-solver"}},
	}
	for _, tt := range tests {
		if got := normalizeArgs(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("normalizeArgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestFreshFlags: every tree newRootCmd builds has flags of its own, so what one run
// set is back at its default in the next, with nothing to reset.
func TestFreshFlags(t *testing.T) {
	for run := 0; run < 2; run++ {
		train, _, err := newRootCmd().Find([]string{"train"})
		if err != nil {
			t.Fatal(err)
		}
		fl := train.Flags()
		if got, stage := fl.Lookup("sigint_effect").Value.String(), fl.Lookup("stage").Value.String(); got != "stop" || stage != "[]" {
			t.Errorf("run %d: --sigint_effect=%s --stage=%s before parsing, want the defaults", run, got, stage)
		}
		if err := train.ParseFlags(normalizeArgs([]string{"-sigint_effect=none", "--stage=a,b"})); err != nil {
			t.Fatal(err)
		}
	}
}
