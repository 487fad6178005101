package layers_test

import (
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// TestUnsupported: the layers of Caffe that gocaffe does not have are known by name,
// and a net using one fails at once, naming the layer.
func TestUnsupported(t *testing.T) {
	for _, typ := range []string{"WindowData", "MemoryData", "Python"} {
		_, err := buildDataLayer(`type: "`+typ+`"`, caffepb.Phase_TEST, 1, 1)
		if err == nil || !strings.Contains(err.Error(), typ+" layers cannot be used in gocaffe") || !strings.Contains(err.Error(), `layer "data"`) {
			t.Errorf("%s: error %v", typ, err)
		}
	}
}
