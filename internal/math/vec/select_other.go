//go:build !amd64 || purego

package vec

func maxArg2Asm(y []float32, arg []int32, a, b []float32) int          { return 0 }
func maxArgNextAsm(y []float32, arg []int32, x []float32, k int32) int { return 0 }
func selectArgAsm(dx, dy []float32, arg []int32, k int32) int          { return 0 }
func maskScaleAsm(out, in []float32, keep []bool, scale float32) int   { return 0 }
