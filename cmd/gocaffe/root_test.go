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
