package gradcheck

import (
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/rng"
)

// square is y = k·x², with a parameter k (one value) and a backward that can be
// made wrong on purpose.
type square struct {
	k      *blob.Blob
	broken bool
	noise  *rng.Source // when set, y += a random draw, to test reseeding
}

func (s *square) Setup(bottom, top []*blob.Blob) error   { return s.Reshape(bottom, top) }
func (s *square) Reshape(bottom, top []*blob.Blob) error { top[0].ReshapeLike(bottom[0]); return nil }
func (s *square) Params() []*blob.Blob                   { return []*blob.Blob{s.k} }
func (s *square) Forward(bottom, top []*blob.Blob) error {
	for i, x := range bottom[0].Data {
		top[0].Data[i] = s.k.Data[0] * x * x
		if s.noise != nil {
			top[0].Data[i] += s.noise.Gaussian(0, 1)
		}
	}
	return nil
}
func (s *square) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	for i, x := range bottom[0].Data {
		dy := top[0].Diff[i]
		s.k.Diff[0] += dy * x * x
		if down[0] {
			bottom[0].Diff[i] = 2 * s.k.Data[0] * x * dy
			if s.broken && i == 3 {
				bottom[0].Diff[i] *= 1.1
			}
		}
	}
}

func newSquare(broken bool) (*square, []*blob.Blob, []*blob.Blob) {
	r := rng.New(5)
	x := blob.New(2, 4)
	for i := range x.Data {
		x.Data[i] = r.Uniform(-1, 1)
	}
	k := blob.New(1)
	k.Data[0] = 1.5
	s := &square{k: k, broken: broken}
	top := []*blob.Blob{blob.New()}
	s.Setup([]*blob.Blob{x}, top)
	return s, []*blob.Blob{x}, top
}

func TestCorrectGradientPasses(t *testing.T) {
	s, bottom, top := newSquare(false)
	for name, check := range map[string]func() (*Report, error){
		"single":     func() (*Report, error) { return New(1e-2, 1e-3).Check(s, bottom, top, AllBottoms) },
		"exhaustive": func() (*Report, error) { return New(1e-2, 1e-3).Exhaustive(s, bottom, top, AllBottoms) },
	} {
		rep, err := check()
		if err != nil || rep.Err() != nil {
			t.Fatalf("%s: %v %v", name, err, rep.Err())
		}
		if rep.Blobs[0].Blob != "param 0" || rep.Blobs[1].Blob != "bottom 0" || rep.Blobs[1].Checked == 0 {
			t.Fatalf("%s: blobs %+v", name, rep.Blobs)
		}
	}
}

func TestWrongGradientIsCaught(t *testing.T) {
	s, bottom, top := newSquare(true)
	rep, err := New(1e-2, 1e-3).Exhaustive(s, bottom, top, AllBottoms)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Err() == nil {
		t.Fatal("a backward 10% off at element 3 passed")
	}
	for _, m := range rep.Mismatches {
		if m.Blob != "bottom 0" || m.Index != 3 {
			t.Fatalf("mismatch reported at %s[%d]", m.Blob, m.Index)
		}
	}
	if !strings.Contains(rep.Err().Error(), "bottom 0[3]") {
		t.Fatalf("error does not name the element: %v", rep.Err())
	}
	// Checking only the parameters must not see the broken bottom gradient.
	rep, _ = New(1e-2, 1e-3).Exhaustive(s, bottom, top, NoBottoms)
	if rep.Err() != nil {
		t.Fatalf("params-only check: %v", rep.Err())
	}
}

func TestKinkSkipsElements(t *testing.T) {
	s, bottom, top := newSquare(true)
	c := New(1e-2, 1e-3)
	c.Kink, c.KinkRange = 0, 10 // every |x| <= 1 is inside the kink
	rep, _ := c.Check(s, bottom, top, AllBottoms)
	if rep.Err() != nil {
		t.Fatalf("elements inside the kink were compared: %v", rep.Err())
	}
}

func TestReseedMakesNoiseCancel(t *testing.T) {
	s, bottom, top := newSquare(false)
	s.noise = rng.New(9)
	c := New(1e-2, 1e-3)
	c.RNG = s.noise
	rep, err := c.Exhaustive(s, bottom, top, AllBottoms)
	if err != nil || rep.Err() != nil {
		t.Fatalf("with reseeding: %v %v", err, rep.Err())
	}
	c.RNG = nil // without reseeding, the noise differs between x+h and x-h
	rep, _ = c.Exhaustive(s, bottom, top, AllBottoms)
	if rep.Err() == nil {
		t.Fatal("noise without reseeding went unnoticed")
	}
}
