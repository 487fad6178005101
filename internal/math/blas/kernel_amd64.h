// Macros shared by the AVX2 kernels (kernel_amd64.s, strided_amd64.s, twochain8_amd64.s). Registers:
// SI = packed A, DI = packed B, DX = C, R8 = ldc in bytes; the twelve YMM
// accumulators Y4..Y15 hold the 6×16 block of C (row r in Y(4+2r) for columns 0..7
// and Y(5+2r) for columns 8..15).

// ZERO12 clears the twelve accumulators Y4..Y15.
#define ZERO12 \
	VXORPS Y4, Y4, Y4 \
	VXORPS Y5, Y5, Y5 \
	VXORPS Y6, Y6, Y6 \
	VXORPS Y7, Y7, Y7 \
	VXORPS Y8, Y8, Y8 \
	VXORPS Y9, Y9, Y9 \
	VXORPS Y10, Y10, Y10 \
	VXORPS Y11, Y11, Y11 \
	VXORPS Y12, Y12, Y12 \
	VXORPS Y13, Y13, Y13 \
	VXORPS Y14, Y14, Y14 \
	VXORPS Y15, Y15, Y15

// ROWS multiplies the B row in Y0 (columns 0..7) and Y1 (8..15) by the six A values of
// one step, at byte offset ao from SI, broadcast in turn into Y2/Y3 (alternating, so
// that a broadcast does not wait for the FMAs of the previous one).
#define ROWS(ao) \
	VBROADCASTSS ao(SI), Y2 \
	VFMADD231PS  Y0, Y2, Y4 \
	VFMADD231PS  Y1, Y2, Y5 \
	VBROADCASTSS ao+4(SI), Y3 \
	VFMADD231PS  Y0, Y3, Y6 \
	VFMADD231PS  Y1, Y3, Y7 \
	VBROADCASTSS ao+8(SI), Y2 \
	VFMADD231PS  Y0, Y2, Y8 \
	VFMADD231PS  Y1, Y2, Y9 \
	VBROADCASTSS ao+12(SI), Y3 \
	VFMADD231PS  Y0, Y3, Y10 \
	VFMADD231PS  Y1, Y3, Y11 \
	VBROADCASTSS ao+16(SI), Y2 \
	VFMADD231PS  Y0, Y2, Y12 \
	VFMADD231PS  Y1, Y2, Y13 \
	VBROADCASTSS ao+20(SI), Y3 \
	VFMADD231PS  Y0, Y3, Y14 \
	VFMADD231PS  Y1, Y3, Y15

// STEP does one k step, reading A at byte offset ao from SI and B at bo from DI.
#define STEP(ao, bo) \
	VMOVUPS bo(DI), Y0 \
	VMOVUPS bo+32(DI), Y1 \
	ROWS(ao)

// ACCUMULATE writes C row lo|hi = lo|hi + beta(Y1)·C, then advances DX one row.
#define ACCUMULATE(lo, hi) \
	VFMADD231PS (DX), Y1, lo \
	VFMADD231PS 32(DX), Y1, hi \
	VMOVUPS     lo, (DX) \
	VMOVUPS     hi, 32(DX) \
	ADDQ        R8, DX

// OVERWRITE writes C row = lo|hi without reading C, then advances DX one row.
#define OVERWRITE(lo, hi) \
	VMOVUPS lo, (DX) \
	VMOVUPS hi, 32(DX) \
	ADDQ    R8, DX
