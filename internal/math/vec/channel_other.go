//go:build !amd64 || purego

package vec

func sumAsm(x []float32) (float64, bool)                   { return 0, false }
func sumSqDiffAsm(x []float32, m float32) (float64, bool)  { return 0, false }
func sumDotAsm(x, y []float32) (sum, dot float64, ok bool) { return 0, 0, false }
func scaleAddAsm(y, x []float32, a, b float32) int         { return 0 }
func subScaleAsm(y, x []float32, m, s float32) int         { return 0 }
func affine2Asm(z, x, y []float32, a, b, c float32) int    { return 0 }
func addScaledAsm(y, x []float32, a float32) int           { return 0 }
func divAsm(z, x, y []float32) int                         { return 0 }
func divConstAsm(y, x []float32, d float32) int            { return 0 }
