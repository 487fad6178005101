package protofile

import (
	"fmt"
	"os"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The binary files Caffe writes — .caffemodel (NetParameter), .solverstate
// (SolverState), .binaryproto (BlobProto) — carry no header saying which they are,
// and the wire format lets one parse as another, mostly as unknown fields. kindOf
// tells them apart by what parses cleanly, so that a file given in the place of
// another is named for what it is.

// fileKind is what a binary proto file holds.
type fileKind struct {
	ext  string // ".caffemodel", ".solverstate", ".binaryproto", or "" if unknown
	what string // a description for messages
}

// kindOf looks at the file at path.
func kindOf(path string) fileKind {
	data, err := os.ReadFile(path)
	if err != nil || len(data) == 0 {
		return fileKind{}
	}
	clean := func(m proto.Message) bool {
		return proto.Unmarshal(data, m) == nil && len(m.ProtoReflect().GetUnknown()) == 0
	}
	if st := (&caffepb.SolverState{}); clean(st) && (st.Iter != nil || st.LearnedNet != nil) {
		what := fmt.Sprintf("a solver's state at iteration %d", st.GetIter())
		if st.LearnedNet != nil {
			what += fmt.Sprintf(", whose weights are in %s", st.GetLearnedNet())
		}
		return fileKind{".solverstate", what}
	}
	if np := (&caffepb.NetParameter{}); proto.Unmarshal(data, np) == nil && len(np.Layer)+len(np.Layers) > 0 {
		return fileKind{".caffemodel", fmt.Sprintf("the weights of net %q, %d layers", np.GetName(), len(np.Layer)+len(np.Layers))}
	}
	if bp := (&caffepb.BlobProto{}); clean(bp) && len(bp.Data)+len(bp.DoubleData) > 0 {
		return fileKind{".binaryproto", "a blob, such as a mean image"}
	}
	return fileKind{}
}

// notWeights returns the error for a file given as weights that holds something
// else, or nil when it does not look like anything else.
func notWeights(path string) error {
	k := kindOf(path)
	switch k.ext {
	case ".solverstate":
		return fmt.Errorf("%s is a .solverstate (%s), not weights (a .caffemodel): resume training from it with --snapshot, or give its .caffemodel to --weights", path, k.what)
	case ".binaryproto":
		return fmt.Errorf("%s is a .binaryproto (%s), not weights (a .caffemodel)", path, k.what)
	}
	return nil
}

// notSolverState returns the error for a file given as a solver state that holds
// something else, or nil.
func notSolverState(path string) error {
	k := kindOf(path)
	switch k.ext {
	case ".caffemodel":
		return fmt.Errorf("%s is a .caffemodel (%s), not a solver state (a .solverstate): fine-tune from it with --weights; --snapshot takes the .solverstate a snapshot writes beside it", path, k.what)
	case ".binaryproto":
		return fmt.Errorf("%s is a .binaryproto (%s), not a solver state (a .solverstate)", path, k.what)
	}
	return nil
}
