//go:build !amd64 || purego

package vec

// useAsm is false without assembly (tests set it to run both paths).
var useAsm = false

func addConstAsm(x []float32, b float32) int                  { return 0 }
func scaleAsm(y, x []float32, a float32) int                  { return 0 }
func addAsm(z, x, y []float32) int                            { return 0 }
func reluAsm(y, x []float32, slope float32) int               { return 0 }
func reluGradAsm(dx, x, dy []float32, f *[3]float32) int      { return 0 }
func mulAsm(z, x, y []float32) int                            { return 0 }
func addQuotientAsm(acc, a, b, c []float32, sign float32) int { return 0 }
func powScale75Asm(y, s, x []float32) int                     { return 0 }
