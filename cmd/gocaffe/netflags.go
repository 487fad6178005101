package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/netinfo"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// netStateFlags are the flags that choose which layers of a net prototxt are built:
// Caffe's -phase, -level and -stage.
type netStateFlags struct {
	phase  string
	level  int
	stages []string
}

func (f *netStateFlags) register(c *cobra.Command, defaultPhase string) {
	c.Flags().StringVar(&f.phase, "phase", defaultPhase, "the net's phase: TRAIN or TEST")
	c.Flags().IntVar(&f.level, "level", 0, "network level (NetState.level)")
	addStageFlag(c, &f.stages)
}

// addStageFlag gives c Caffe's --stage flag, the same in every command: NetState
// stages, comma-separated ("-stage a,b", as Caffe takes them) or repeated.
func addStageFlag(c *cobra.Command, stages *[]string) {
	c.Flags().StringSliceVar(stages, "stage", nil, "NetState stages, comma-separated or repeated")
}

// state returns the NetState the flags describe.
func (f *netStateFlags) state() (*caffepb.NetState, error) {
	phase, ok := caffepb.Phase_value[strings.ToUpper(f.phase)]
	if !ok {
		return nil, fmt.Errorf("--phase=%q: want TRAIN or TEST", f.phase)
	}
	return &caffepb.NetState{
		Phase: caffepb.Phase(phase).Enum(),
		Level: proto.Int32(int32(f.level)),
		Stage: f.stages,
	}, nil
}

// readNet reads (and upgrades) a net prototxt and sets its state from the flags.
func (f *netStateFlags) readNet(path string) (*caffepb.NetParameter, error) {
	if path == "" {
		return nil, fmt.Errorf("give the net with --model=NET.prototxt")
	}
	state, err := f.state()
	if err != nil {
		return nil, err
	}
	p, err := protofile.ReadNetText(path)
	if err != nil {
		return nil, err
	}
	p.State = state
	return p, nil
}

// parseShapes reads --shape values of the form BLOB=N,C,H,W.
func parseShapes(values []string) (map[string][]int, error) {
	shapes := map[string][]int{}
	for _, v := range values {
		name, dims, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--shape=%q: want BLOB=N,C,H,W", v)
		}
		var shape []int
		if dims != "" {
			for _, d := range strings.Split(dims, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(d))
				if err != nil || n < 0 {
					return nil, fmt.Errorf("--shape=%q: %q is not a dimension (want a non-negative integer)", v, d)
				}
				shape = append(shape, n)
			}
		}
		if _, dup := shapes[name]; dup {
			return nil, fmt.Errorf("--shape given twice for %q", name)
		}
		shapes[name] = shape
	}
	return shapes, nil
}

// buildShapeOnly builds the net of a prototxt in the flags' state with its data layers
// turned into Input layers of the shapes given as --shape values (or implied by their
// parameters), so that no database is opened: for commands that look at a net's
// structure or its layers' arithmetic rather than at data. It returns the net and
// the prototxt as read (its data layers as they are there).
func (f *netStateFlags) buildShapeOnly(model string, shapeFlags []string, opts network.Options) (*network.Net, *caffepb.NetParameter, error) {
	param, err := f.readNet(model)
	if err != nil {
		return nil, nil, err
	}
	shapes, err := parseShapes(shapeFlags)
	if err != nil {
		return nil, nil, err
	}
	inputs, err := netinfo.DataLayersAsInputs(param, shapes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", model, err)
	}
	opts.Quiet = true
	n, err := network.New(inputs, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", model, err)
	}
	return n, param, nil
}
