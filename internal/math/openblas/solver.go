//go:build openblas

package openblas

/*
#pragma GCC optimize ("fp-contract=off")
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>

// Caffe's solver update on the CPU, transcribed call for call from BVLC Caffe
// (src/caffe/solvers/sgd_solver.cpp and the other solvers' ComputeUpdateValue;
// src/caffe/util/math_functions.cpp and include/caffe/util/mkl_alternate.hpp for what
// the caffe_* functions do without MKL), with Dtype = float. C has no overloads, so
// where C++ picks std::pow(float, float) (powf) or promotes to the double pow, the
// call is spelled out. Caffe's build targets plain x86-64 and fuses no multiply-add;
// the pragma above makes sure this one does not either, whatever CGO_CFLAGS say.

typedef struct {
	const char *type, *lr_policy, *regularization_type;
	float base_lr, gamma, power, momentum, momentum2, delta, rms_decay, weight_decay, clip_gradients;
	int stepsize, max_iter, iter_size;
	int n_stepvalue;
	const int *stepvalue;
} gc_solver_param;

typedef struct {
	int n;                  // learnable blobs
	const int *count;       // their sizes
	float **data, **diff;   // Blob data and diff
	float **history;        // n (2n for AdaDelta and Adam: the second set after the first)
	float **update, **temp; // SGDSolver's update_ and temp_
	const float *lr_mult, *decay_mult; // Net::params_lr(), params_weight_decay()
	int iter, current_step;
} gc_solver_state;

// math_functions.cpp and mkl_alternate.hpp, float versions.
static void caffe_copy(int n, const float *x, float *y) { if (x != y) memcpy(y, x, sizeof(float) * n); }
static void caffe_set(int n, float alpha, float *y) {
	if (alpha == 0) { memset(y, 0, sizeof(float) * n); return; }
	for (int i = 0; i < n; ++i) y[i] = alpha;
}
static void caffe_axpy(int n, float alpha, const float *x, float *y) { cblas_saxpy(n, alpha, x, 1, y, 1); }
static void caffe_scal(int n, float alpha, float *x) { cblas_sscal(n, alpha, x, 1); }
static void caffe_cpu_axpby(int n, float alpha, const float *x, float beta, float *y) {
	// mkl_alternate.hpp's cblas_saxpby.
	cblas_sscal(n, beta, y, 1);
	cblas_saxpy(n, alpha, x, 1, y, 1);
}
static void caffe_cpu_scale(int n, float alpha, const float *x, float *y) {
	cblas_scopy(n, x, 1, y, 1);
	cblas_sscal(n, alpha, y, 1);
}
static float caffe_cpu_dot(int n, const float *x, const float *y) { return cblas_sdot(n, x, 1, y, 1); }
static void caffe_add(int n, const float *a, const float *b, float *y) { for (int i = 0; i < n; ++i) y[i] = a[i] + b[i]; }
static void caffe_mul(int n, const float *a, const float *b, float *y) { for (int i = 0; i < n; ++i) y[i] = a[i] * b[i]; }
static void caffe_div(int n, const float *a, const float *b, float *y) { for (int i = 0; i < n; ++i) y[i] = a[i] / b[i]; }
// Caffe compiles caffe_powx apart from its callers, so powf sees b only at run time;
// inlined, GCC would turn powf(x, 2) into x·x, which is not always powf's result.
static __attribute__((noinline)) void caffe_powx(int n, const float *a, float b, float *y) {
	for (int i = 0; i < n; ++i) y[i] = powf(a[i], b);
}
static void caffe_add_scalar(int n, float alpha, float *y) { for (int i = 0; i < n; ++i) y[i] += alpha; }
static float caffe_sign(float v) { return (float)((0 < v) - (v < 0)); }
static void caffe_cpu_sign(int n, const float *x, float *y) { for (int i = 0; i < n; ++i) y[i] = caffe_sign(x[i]); }

static int is(const char *a, const char *b) { return strcmp(a, b) == 0; }

// SGDSolver::GetLearningRate.
static float gc_learning_rate(const gc_solver_param *p, int iter, int *current_step) {
	float rate;
	const char *lr_policy = p->lr_policy;
	if (is(lr_policy, "fixed")) {
		rate = p->base_lr;
	} else if (is(lr_policy, "step")) {
		*current_step = iter / p->stepsize;
		rate = p->base_lr * pow(p->gamma, *current_step);
	} else if (is(lr_policy, "exp")) {
		rate = p->base_lr * pow(p->gamma, iter);
	} else if (is(lr_policy, "inv")) {
		rate = p->base_lr * powf((float)1 + p->gamma * iter, -p->power);
	} else if (is(lr_policy, "multistep")) {
		if (*current_step < p->n_stepvalue && iter >= p->stepvalue[*current_step]) {
			(*current_step)++;
		}
		rate = p->base_lr * pow(p->gamma, *current_step);
	} else if (is(lr_policy, "poly")) {
		rate = p->base_lr * powf((float)1. - ((float)iter / (float)p->max_iter), p->power);
	} else if (is(lr_policy, "sigmoid")) {
		rate = p->base_lr * ((float)1. / ((float)1. + expf(-p->gamma * ((float)iter - (float)p->stepsize))));
	} else {
		abort();
	}
	return rate;
}

// SGDSolver::ClipGradients (Blob::sumsq_diff is caffe_cpu_dot of the diff with
// itself, Blob::scale_diff caffe_scal).
static void clip_gradients(const gc_solver_param *p, gc_solver_state *s) {
	const float clip_gradients = p->clip_gradients;
	if (clip_gradients < 0) { return; }
	float sumsq_diff = 0;
	for (int i = 0; i < s->n; ++i) {
		sumsq_diff += caffe_cpu_dot(s->count[i], s->diff[i], s->diff[i]);
	}
	const float l2norm_diff = sqrtf(sumsq_diff);
	if (l2norm_diff > clip_gradients) {
		float scale_factor = clip_gradients / l2norm_diff;
		for (int i = 0; i < s->n; ++i) {
			caffe_scal(s->count[i], scale_factor, s->diff[i]);
		}
	}
}

// SGDSolver::Normalize.
static void normalize(const gc_solver_param *p, gc_solver_state *s, int param_id) {
	if (p->iter_size == 1) { return; }
	const float accum_normalization = (float)1. / p->iter_size;
	caffe_scal(s->count[param_id], accum_normalization, s->diff[param_id]);
}

// SGDSolver::Regularize.
static void regularize(const gc_solver_param *p, gc_solver_state *s, int param_id) {
	float weight_decay = p->weight_decay;
	float local_decay = weight_decay * s->decay_mult[param_id];
	int count = s->count[param_id];
	if (local_decay) {
		if (is(p->regularization_type, "L2")) {
			caffe_axpy(count, local_decay, s->data[param_id], s->diff[param_id]);
		} else if (is(p->regularization_type, "L1")) {
			caffe_cpu_sign(count, s->data[param_id], s->temp[param_id]);
			caffe_axpy(count, local_decay, s->temp[param_id], s->diff[param_id]);
		} else {
			abort();
		}
	}
}

// The ComputeUpdateValue of each solver type.
static void compute_update_value(const gc_solver_param *p, gc_solver_state *s, int param_id, float rate) {
	int count = s->count[param_id];
	float *diff = s->diff[param_id];
	float *history = s->history[param_id];
	float *update = s->update[param_id];
	float *temp = s->temp[param_id];
	float local_rate = rate * s->lr_mult[param_id];
	float momentum = p->momentum;
	float delta = p->delta;
	int update_history_offset = s->n;
	if (is(p->type, "SGD")) {
		caffe_cpu_axpby(count, local_rate, diff, momentum, history);
		caffe_copy(count, history, diff);
	} else if (is(p->type, "Nesterov")) {
		caffe_copy(count, history, update);
		caffe_cpu_axpby(count, local_rate, diff, momentum, history);
		caffe_cpu_axpby(count, (float)1 + momentum, history, -momentum, update);
		caffe_copy(count, update, diff);
	} else if (is(p->type, "AdaGrad")) {
		caffe_powx(count, diff, (float)2, update);
		caffe_add(count, update, history, history);
		caffe_powx(count, history, (float)0.5, update);
		caffe_add_scalar(count, delta, update);
		caffe_div(count, diff, update, update);
		caffe_cpu_axpby(count, local_rate, update, (float)0, diff);
	} else if (is(p->type, "RMSProp")) {
		float rms_decay = p->rms_decay;
		caffe_powx(count, diff, (float)2, update);
		caffe_cpu_axpby(count, (float)(1 - rms_decay), update, rms_decay, history);
		caffe_powx(count, history, (float)0.5, update);
		caffe_add_scalar(count, delta, update);
		caffe_div(count, diff, update, update);
		caffe_cpu_axpby(count, local_rate, update, (float)0, diff);
	} else if (is(p->type, "AdaDelta")) {
		float *update_history = s->history[update_history_offset + param_id];
		caffe_powx(count, diff, (float)2, update);
		caffe_cpu_axpby(count, (float)1 - momentum, update, momentum, history);
		caffe_set(count, delta, temp);
		caffe_add(count, temp, update_history, update);
		caffe_add(count, temp, history, temp);
		caffe_div(count, update, temp, update);
		caffe_powx(count, update, (float)0.5, update);
		caffe_mul(count, diff, update, diff);
		caffe_powx(count, diff, (float)2, update);
		caffe_cpu_axpby(count, (float)1 - momentum, update, momentum, update_history);
		caffe_cpu_scale(count, local_rate, diff, diff);
	} else if (is(p->type, "Adam")) {
		const float beta1 = p->momentum;
		const float beta2 = p->momentum2;
		float *val_m = history;
		float *val_v = s->history[param_id + update_history_offset];
		float *val_t = temp;
		const int t = s->iter + 1;
		const float correction = sqrt((float)1 - pow(beta2, t)) / ((float)1. - pow(beta1, t));
		const int N = count;
		const float eps_hat = p->delta;
		caffe_cpu_axpby(N, (float)1 - beta1, diff, beta1, val_m);
		caffe_mul(N, diff, diff, val_t);
		caffe_cpu_axpby(N, (float)1 - beta2, val_t, beta2, val_v);
		caffe_powx(N, val_v, (float)0.5, val_t);
		caffe_add_scalar(N, eps_hat, val_t);
		caffe_div(N, val_m, val_t, val_t);
		caffe_cpu_scale(N, local_rate * correction, val_t, diff);
	} else {
		abort();
	}
}

// SGDSolver::ApplyUpdate, then Net::Update (Blob::Update: data −= diff by caffe_axpy)
// and the iteration count. Returns the rate.
static float gc_apply_update(const gc_solver_param *p, gc_solver_state *s) {
	float rate = gc_learning_rate(p, s->iter, &s->current_step);
	clip_gradients(p, s);
	for (int param_id = 0; param_id < s->n; ++param_id) {
		normalize(p, s, param_id);
		regularize(p, s, param_id);
		compute_update_value(p, s, param_id, rate);
	}
	for (int i = 0; i < s->n; ++i) {
		caffe_axpy(s->count[i], (float)(-1), s->diff[i], s->data[i]);
	}
	++s->iter;
	return rate;
}
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// SolverParam holds the SolverParameter fields Caffe's update reads.
type SolverParam struct {
	Type, LrPolicy, RegularizationType                                                     string
	BaseLr, Gamma, Power, Momentum, Momentum2, Delta, RmsDecay, WeightDecay, ClipGradients float32
	Stepsize, MaxIter, IterSize                                                            int
	Stepvalue                                                                              []int
}

// Solver is Caffe's CPU solver update (SGDSolver::ApplyUpdate with the type's
// ComputeUpdateValue, then Net::Update) as a C transcription of Caffe's calls on the
// real OpenBLAS and libm: the oracle gocaffe's solver is checked against. Its blobs
// live in C memory; Set and Get copy them in and out.
type Solver struct {
	param  *C.gc_solver_param
	state  *C.gc_solver_state
	counts []int
	allocs []unsafe.Pointer
}

// NewSolver makes the oracle for blobs of the given sizes, every value and history
// zero; the learning-rate and decay multipliers are per blob.
func NewSolver(p SolverParam, counts []int, lrMult, decayMult []float32, iter, currentStep int) *Solver {
	s := &Solver{counts: counts}
	alloc := func(size int) unsafe.Pointer {
		ptr := C.calloc(C.size_t(max(size, 1)), 1)
		s.allocs = append(s.allocs, ptr)
		return ptr
	}
	cstr := func(v string) *C.char {
		ptr := alloc(len(v) + 1)
		copy(unsafe.Slice((*byte)(ptr), len(v)), v)
		return (*C.char)(ptr)
	}
	floats := func(v []float32) *C.float {
		ptr := alloc(4 * len(v))
		copy(unsafe.Slice((*float32)(ptr), len(v)), v)
		return (*C.float)(ptr)
	}
	ints := func(v []int) *C.int {
		ptr := (*C.int)(alloc(4 * len(v)))
		for i, x := range v {
			unsafe.Slice(ptr, len(v))[i] = C.int(x)
		}
		return ptr
	}
	n := len(counts)
	hist := n
	if p.Type == "AdaDelta" || p.Type == "Adam" {
		hist = 2 * n
	}
	arrays := func(k int) **C.float {
		ptr := (**C.float)(alloc(8 * k))
		for i := range k {
			unsafe.Slice(ptr, k)[i] = (*C.float)(alloc(4 * counts[i%n]))
		}
		return ptr
	}
	s.param = (*C.gc_solver_param)(alloc(int(unsafe.Sizeof(C.gc_solver_param{}))))
	*s.param = C.gc_solver_param{
		_type: cstr(p.Type), lr_policy: cstr(p.LrPolicy), regularization_type: cstr(p.RegularizationType),
		base_lr: C.float(p.BaseLr), gamma: C.float(p.Gamma), power: C.float(p.Power), momentum: C.float(p.Momentum),
		momentum2: C.float(p.Momentum2), delta: C.float(p.Delta), rms_decay: C.float(p.RmsDecay),
		weight_decay: C.float(p.WeightDecay), clip_gradients: C.float(p.ClipGradients),
		stepsize: C.int(p.Stepsize), max_iter: C.int(p.MaxIter), iter_size: C.int(p.IterSize),
		n_stepvalue: C.int(len(p.Stepvalue)), stepvalue: ints(p.Stepvalue),
	}
	s.state = (*C.gc_solver_state)(alloc(int(unsafe.Sizeof(C.gc_solver_state{}))))
	*s.state = C.gc_solver_state{
		n: C.int(n), count: ints(counts), data: arrays(n), diff: arrays(n), history: arrays(hist),
		update: arrays(n), temp: arrays(n), lr_mult: floats(lrMult), decay_mult: floats(decayMult),
		iter: C.int(iter), current_step: C.int(currentStep),
	}
	runtime.SetFinalizer(s, func(s *Solver) {
		for _, ptr := range s.allocs {
			C.free(ptr)
		}
	})
	return s
}

func (s *Solver) blob(arr **C.float, i int) []float32 {
	k := len(s.counts)
	if arr == s.state.history {
		k *= 2
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.Slice(arr, k)[i])), s.counts[i%len(s.counts)])
}

// Data, Diff and History return blob i's values, gradient and history (i counts
// through the second set of histories after the first), in C memory: write to set
// them, copy to keep them.
func (s *Solver) Data(i int) []float32    { return s.blob(s.state.data, i) }
func (s *Solver) Diff(i int) []float32    { return s.blob(s.state.diff, i) }
func (s *Solver) History(i int) []float32 { return s.blob(s.state.history, i) }

// Iter and CurrentStep are the solver's iter_ and current_step_.
func (s *Solver) Iter() int        { return int(s.state.iter) }
func (s *Solver) CurrentStep() int { return int(s.state.current_step) }

// ApplyUpdate runs one update from the gradients in Diff and returns its rate.
func (s *Solver) ApplyUpdate() float32 {
	return float32(C.gc_apply_update(s.param, s.state))
}

// LearningRate is SGDSolver::GetLearningRate alone: it returns the rate for
// iteration iter from currentStep, and the new current step.
func (s *Solver) LearningRate(iter, currentStep int) (float32, int) {
	cs := C.int(currentStep)
	rate := float32(C.gc_learning_rate(s.param, C.int(iter), &cs))
	return rate, int(cs)
}
