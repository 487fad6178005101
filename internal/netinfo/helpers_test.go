package netinfo

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// parseNet reads a net from prototext, for the given phase.
func parseNet(t testing.TB, text string, phase caffepb.Phase) *caffepb.NetParameter {
	t.Helper()
	p, err := protofile.ParseNetText("test.prototxt", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	p.State = &caffepb.NetState{Phase: phase.Enum()}
	return p
}
