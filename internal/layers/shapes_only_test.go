package layers_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
)

// TestLayerFixturesShapesOnly sets every fixture's layer up as gocaffe summary does,
// with blob storage off (blob.ShapesOnly), and expects Caffe's top shapes: no layer
// may need values to work out its shapes (issue 11: summary allocates nothing).
func TestLayerFixturesShapesOnly(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(fixtureDir(), "*.json"))
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		f, p, err := loadFixture(path)
		if err != nil || !layers.Registered(p.GetType()) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			err := blob.ShapesOnly(func() error {
				l, err := layers.New(p, &layers.Context{RNG: rng.New(1701)})
				if err != nil {
					return err
				}
				bottom := make([]*blob.Blob, len(f.Bottoms))
				for i, b := range f.Bottoms {
					bottom[i] = blob.New(b.Shape...)
				}
				top := make([]*blob.Blob, len(f.Tops))
				for i := range top {
					top[i] = blob.New()
				}
				if err := layers.SetUp(l, bottom, top); err != nil {
					return err
				}
				for i, want := range f.Tops {
					if !equalShape(top[i].Shape(), want.Shape) {
						t.Errorf("top %d shape %v, Caffe's %v", i, top[i].Shape(), want.Shape)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
