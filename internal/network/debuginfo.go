package network

// SetDebugInfo turns the per-layer debug log of Forward and Backward on or off. The
// solver turns it on for display iterations when the solver's debug_info is set, as
// Caffe's Solver::Step does.
func (n *Net) SetDebugInfo(on bool) { n.debugInfo = on }
