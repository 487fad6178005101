//go:build !amd64 || purego

package vec

func sumAsm(x []float32, acc *lanes) bool                  { return false }
func sumSqDiffAsm(x []float32, m float32, acc *lanes) bool { return false }
func sumDotAsm(x, y []float32, sx, sxy *lanes) bool        { return false }
func scaleAddAsm(y, x []float32, a, b float32) int         { return 0 }
func subScaleAsm(y, x []float32, m, s float32) int         { return 0 }
func affine2Asm(z, x, y []float32, a, b, c float32) int    { return 0 }
func addScaledAsm(y, x []float32, a float32) int           { return 0 }
func divAsm(z, x, y []float32) int                         { return 0 }
