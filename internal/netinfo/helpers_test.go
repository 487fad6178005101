package netinfo

import (
	"testing"

	"google.golang.org/protobuf/encoding/prototext"

	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// parseNet reads a NetParameter from prototext, in the given phase.
func parseNet(t testing.TB, text string, phase caffepb.Phase) *caffepb.NetParameter {
	t.Helper()
	p := &caffepb.NetParameter{}
	if err := prototext.Unmarshal([]byte(text), p); err != nil {
		t.Fatal(err)
	}
	if p.State == nil {
		p.State = &caffepb.NetState{}
	}
	p.State.Phase = phase.Enum()
	return p
}
